package io.crisp.plugin.kata.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Recursive-descent parser for one JSON text; recursion is bounded by the depth limit. */
final class JsonParser {
    private final String text;
    private final int maxDepth;
    private int pos;

    JsonParser(String text, int maxDepth) {
        if (text == null) {
            throw new NullPointerException("text is null");
        }
        this.text = text;
        this.maxDepth = maxDepth;
    }

    Object parseDocument() {
        skipWhitespace();
        Object value = parseValue(0);
        skipWhitespace();
        if (pos < text.length()) {
            throw error(pos, "unexpected " + describeAt(pos) + " after the JSON value");
        }
        return value;
    }

    private Object parseValue(int depth) {
        if (pos >= text.length()) {
            throw error(pos, "unexpected end of input, expected a value");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return parseObject(depth + 1);
            case '[':
                return parseArray(depth + 1);
            case '"':
                return parseString();
            case 't':
                expectWord("true");
                return Boolean.TRUE;
            case 'f':
                expectWord("false");
                return Boolean.FALSE;
            case 'n':
                expectWord("null");
                return Json.NULL;
            default:
                if (c == '-' || isDigit(c)) {
                    return parseNumber();
                }
                throw error(pos, "unexpected " + describeAt(pos) + ", expected a value");
        }
    }

    private Map<String, Object> parseObject(int depth) {
        checkDepth(depth);
        pos++; // '{'
        Map<String, Object> object = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return object;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error(pos, "unexpected " + describeAt(pos) + ", expected a string key");
            }
            int keyOffset = pos;
            String key = parseString();
            if (object.containsKey(key)) {
                throw error(keyOffset, "duplicate key " + quoted(key));
            }
            skipWhitespace();
            expect(':', "':' after the key");
            skipWhitespace();
            object.put(key, parseValue(depth));
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == '}') {
                pos++;
                return object;
            } else {
                throw error(pos, "unexpected " + describeAt(pos) + ", expected ',' or '}' in an object");
            }
        }
    }

    private List<Object> parseArray(int depth) {
        checkDepth(depth);
        pos++; // '['
        List<Object> array = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return array;
        }
        while (true) {
            skipWhitespace();
            array.add(parseValue(depth));
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == ']') {
                pos++;
                return array;
            } else {
                throw error(pos, "unexpected " + describeAt(pos) + ", expected ',' or ']' in an array");
            }
        }
    }

    private String parseString() {
        int start = pos;
        pos++; // opening quote
        StringBuilder decoded = null;
        int runStart = pos;
        while (true) {
            if (pos >= text.length()) {
                throw error(start, "unterminated string");
            }
            char c = text.charAt(pos);
            if (c == '"') {
                String value = decoded == null
                        ? text.substring(runStart, pos)
                        : decoded.append(text, runStart, pos).toString();
                pos++;
                return value;
            }
            if (c == '\\') {
                if (decoded == null) {
                    decoded = new StringBuilder();
                }
                decoded.append(text, runStart, pos);
                readEscape(decoded);
                runStart = pos;
            } else if (c < 0x20) {
                throw error(pos, "control character " + codePoint(c) + " in a string must be escaped");
            } else if (Character.isHighSurrogate(c)) {
                if (pos + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(pos + 1))) {
                    throw error(pos, "unpaired surrogate " + codePoint(c) + " in a string");
                }
                pos += 2;
            } else if (Character.isLowSurrogate(c)) {
                throw error(pos, "unpaired surrogate " + codePoint(c) + " in a string");
            } else {
                pos++;
            }
        }
    }

    /** Decodes the escape at pos (a backslash) into out and moves past it. */
    private void readEscape(StringBuilder out) {
        int start = pos;
        pos++; // backslash
        if (pos >= text.length()) {
            throw error(start, "unterminated escape");
        }
        char c = text.charAt(pos);
        pos++;
        switch (c) {
            case '"':
            case '\\':
            case '/':
                out.append(c);
                return;
            case 'b':
                out.append('\b');
                return;
            case 'f':
                out.append('\f');
                return;
            case 'n':
                out.append('\n');
                return;
            case 'r':
                out.append('\r');
                return;
            case 't':
                out.append('\t');
                return;
            case 'u':
                readUnicodeEscape(start, out);
                return;
            default:
                throw error(start, c >= 0x20 && c < 0x7f
                        ? "invalid escape '\\" + c + "'"
                        : "invalid escape: backslash before " + codePoint(c));
        }
    }

    /** After "\\u": four hex digits; a high surrogate must be followed by an escaped low one. */
    private void readUnicodeEscape(int start, StringBuilder out) {
        char unit = readHex4(start);
        if (Character.isLowSurrogate(unit)) {
            throw error(start, "unpaired surrogate " + codePoint(unit) + " in a string");
        }
        if (Character.isHighSurrogate(unit)) {
            int lowStart = pos;
            if (!text.startsWith("\\u", pos)) {
                throw error(start, "unpaired surrogate " + codePoint(unit) + " in a string");
            }
            pos += 2;
            char low = readHex4(lowStart);
            if (!Character.isLowSurrogate(low)) {
                throw error(start, "unpaired surrogate " + codePoint(unit) + " in a string");
            }
            out.append(unit).append(low);
            return;
        }
        out.append(unit);
    }

    private char readHex4(int escapeStart) {
        if (pos + 4 > text.length()) {
            throw error(escapeStart, "\\u escape needs four hex digits");
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int digit = hexValue(text.charAt(pos + i));
            if (digit < 0) {
                throw error(escapeStart, "\\u escape needs four hex digits");
            }
            value = value * 16 + digit;
        }
        pos += 4;
        return (char) value;
    }

    /** 0-15 for an ASCII hex digit, else -1 (Character.digit would also take non-ASCII digits). */
    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        } else if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private Number parseNumber() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) {
                throw error(start, "leading zeros are not allowed in a number");
            }
        } else {
            requireDigits("a digit");
        }
        boolean integral = true;
        if (peek() == '.') {
            pos++;
            requireDigits("a digit after '.'");
            integral = false;
        }
        char e = peek();
        if (e == 'e' || e == 'E') {
            pos++;
            char sign = peek();
            if (sign == '+' || sign == '-') {
                pos++;
            }
            requireDigits("a digit in the exponent");
            integral = false;
        }
        String literal = text.substring(start, pos);
        try {
            return integral ? JsonNumbers.integer(literal) : JsonNumbers.decimal(literal);
        } catch (NumberFormatException | ArithmeticException ex) {
            throw error(start, "number out of range: " + literal);
        }
    }

    private void requireDigits(String what) {
        if (!isDigit(peek())) {
            throw error(pos, "unexpected " + describeAt(pos) + ", expected " + what);
        }
        while (isDigit(peek())) {
            pos++;
        }
    }

    private void expectWord(String word) {
        if (!text.startsWith(word, pos)) {
            throw error(pos, "unexpected " + describeAt(pos) + ", expected a value");
        }
        pos += word.length();
    }

    private void expect(char c, String what) {
        if (peek() != c) {
            throw error(pos, "unexpected " + describeAt(pos) + ", expected " + what);
        }
        pos++;
    }

    private void checkDepth(int depth) {
        if (depth > maxDepth) {
            throw error(pos, "nesting deeper than " + maxDepth + " levels");
        }
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    /** The char at pos, or NUL at the end (NUL is never valid where peek's result is tested). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private String describeAt(int offset) {
        return offset >= text.length() ? "end of input" : printable(text.charAt(offset));
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : codePoint(c);
    }

    private static String codePoint(char c) {
        return String.format("U+%04X", (int) c);
    }

    private static String quoted(String key) {
        return Json.write(key);
    }

    private static JsonException error(int offset, String problem) {
        return new JsonException(offset, problem);
    }
}
