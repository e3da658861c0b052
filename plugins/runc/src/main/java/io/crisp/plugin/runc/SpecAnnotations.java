package io.crisp.plugin.runc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code annotations} object of an OCI config.json, read and rewritten without a JSON library
 * (the plugin class loader sees only the JDK and the SPI). The whole document is checked to be one
 * well-formed JSON object; an edit replaces only the text of the top-level {@code annotations} value
 * (or inserts that member before the closing brace when there is none), so every other byte stays as
 * it was. Inside the object, members that are not replaced keep their text and order; replaced keys
 * lose every earlier occurrence and are appended at the end.
 *
 * <p>A document with two top-level {@code annotations} members, or whose annotations value is neither
 * an object nor {@code null}, is refused rather than guessed at.
 */
final class SpecAnnotations {
    private static final String KEY = "annotations";
    /** Deeper than any config.json; guards the recursion against hostile input. */
    private static final int MAX_DEPTH = 256;

    private record Member(String key, String rawKey, String rawValue, String value) {}

    private final String text;
    private int pos;
    /** Index of the top-level object's closing brace. */
    private int close = -1;
    private boolean topEmpty = true;
    /** Span of the top-level annotations value; -1 when there is no such member. */
    private int valueStart = -1;
    private int valueEnd = -1;
    private final List<Member> members = new ArrayList<>();

    private SpecAnnotations(String text) {
        this.text = text;
    }

    /** Parses {@code json}; throws IllegalArgumentException, naming the offset, when it is not a fitting object. */
    static SpecAnnotations parse(String json) {
        SpecAnnotations doc = new SpecAnnotations(json);
        doc.document();
        return doc;
    }

    /** The annotations whose values are strings, decoded; of a repeated key the last (as Go reads it). */
    Map<String, String> strings() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Member m : members) {
            if (m.value() != null) {
                out.put(m.key(), m.value());
            } else {
                out.remove(m.key());
            }
        }
        return out;
    }

    /** The document with {@code put} set in its annotations, everything else unchanged. */
    String with(Map<String, String> put) {
        StringBuilder object = new StringBuilder("{");
        for (Member m : members) {
            if (!put.containsKey(m.key())) {
                appendMember(object, m.rawKey() + ":" + m.rawValue());
            }
        }
        put.forEach((k, v) -> appendMember(object, quote(k) + ":" + quote(v)));
        object.append('}');
        if (valueStart >= 0) {
            return text.substring(0, valueStart) + object + text.substring(valueEnd);
        }
        return text.substring(0, close) + (topEmpty ? "" : ",") + quote(KEY) + ":" + object + text.substring(close);
    }

    private static void appendMember(StringBuilder object, String member) {
        if (object.length() > 1) {
            object.append(',');
        }
        object.append(member);
    }

    /** A JSON string literal: quotes, backslashes and control characters escaped, the rest as is. */
    static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    private void document() {
        space();
        expect('{');
        space();
        if (peek() == '}') {
            close = pos++;
        } else {
            topEmpty = false;
            while (true) {
                space();
                String key = string();
                space();
                expect(':');
                space();
                if (key.equals(KEY)) {
                    if (valueStart >= 0) {
                        throw error("a second \"annotations\" member");
                    }
                    valueStart = pos;
                    annotations();
                    valueEnd = pos;
                } else {
                    value(1);
                }
                space();
                char c = next();
                if (c == '}') {
                    close = pos - 1;
                    break;
                }
                if (c != ',') {
                    pos--;
                    throw error("expected , or }");
                }
            }
        }
        space();
        if (pos != text.length()) {
            throw error("text after the top-level object");
        }
    }

    private void annotations() {
        if (text.startsWith("null", pos)) {
            pos += 4;
            return;
        }
        if (peek() != '{') {
            throw error("\"annotations\" is neither an object nor null");
        }
        pos++;
        space();
        if (peek() == '}') {
            pos++;
            return;
        }
        while (true) {
            space();
            int keyStart = pos;
            String key = string();
            String rawKey = text.substring(keyStart, pos);
            space();
            expect(':');
            space();
            int start = pos;
            String value = null;
            if (peek() == '"') {
                value = string();
            } else {
                value(2);
            }
            members.add(new Member(key, rawKey, text.substring(start, pos), value));
            space();
            char c = next();
            if (c == '}') {
                return;
            }
            if (c != ',') {
                pos--;
                throw error("expected , or }");
            }
        }
    }

    /** Skips one value, checking it. */
    private void value(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nested deeper than " + MAX_DEPTH);
        }
        char c = peek();
        switch (c) {
            case '"' -> string();
            case '{' -> container('}', depth, true);
            case '[' -> container(']', depth, false);
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    number();
                } else {
                    throw error("unexpected character '" + c + "'");
                }
            }
        }
    }

    private void container(char end, int depth, boolean object) {
        pos++;
        space();
        if (peek() == end) {
            pos++;
            return;
        }
        while (true) {
            space();
            if (object) {
                string();
                space();
                expect(':');
                space();
            }
            value(depth + 1);
            space();
            char c = next();
            if (c == end) {
                return;
            }
            if (c != ',') {
                pos--;
                throw error("expected , or " + end);
            }
        }
    }

    private void literal(String word) {
        if (!text.startsWith(word, pos)) {
            throw error("expected " + word);
        }
        pos += word.length();
    }

    private void number() {
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
                throw error("bad number (leading zero)");
            }
        } else if (digits() == 0) {
            throw error("bad number");
        }
        if (pos < text.length() && text.charAt(pos) == '.') {
            pos++;
            if (digits() == 0) {
                throw error("bad number");
            }
        }
        if (pos < text.length() && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
            pos++;
            if (pos < text.length() && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) {
                pos++;
            }
            if (digits() == 0) {
                throw error("bad number");
            }
        }
    }

    private int digits() {
        int start = pos;
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            pos++;
        }
        return pos - start;
    }

    /** Reads a string literal, returning its decoded value. */
    private String string() {
        expect('"');
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return out.toString();
            }
            if (c < 0x20) {
                pos--;
                throw error("control character in a string");
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> out.append(e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    int code = 0;
                    for (int i = 0; i < 4; i++) {
                        int digit = Character.digit(next(), 16);
                        if (digit < 0) {
                            pos--;
                            throw error("bad \\u escape");
                        }
                        code = code * 16 + digit;
                    }
                    out.append((char) code);
                }
                default -> {
                    pos--;
                    throw error("bad escape \\" + e);
                }
            }
        }
    }

    private void space() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private char peek() {
        if (pos >= text.length()) {
            throw error("unexpected end");
        }
        return text.charAt(pos);
    }

    private char next() {
        char c = peek();
        pos++;
        return c;
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected " + c);
        }
        pos++;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("config.json is not a JSON object fit for annotations: " + what + " at offset " + pos);
    }
}
