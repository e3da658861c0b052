package io.crisp.plugin.kata.spec;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Writes a tree as compact JSON; escapes quote, backslash and control characters, keeps other text as is. */
final class JsonWriter {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final int maxDepth;
    private final StringBuilder out = new StringBuilder();

    JsonWriter(int maxDepth) {
        this.maxDepth = maxDepth;
    }

    String write(Object value) {
        writeValue(value, 0);
        return out.toString();
    }

    private void writeValue(Object value, int depth) {
        if (value == null || value == JsonNull.NULL) {
            out.append("null");
        } else if (value instanceof String) {
            writeString((String) value);
        } else if (value instanceof Boolean) {
            out.append(((Boolean) value).booleanValue());
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short
                || value instanceof Byte || value instanceof BigInteger || value instanceof BigDecimal) {
            out.append(value);
        } else if (value instanceof Double || value instanceof Float) {
            writeFloating((Number) value);
        } else if (value instanceof Map) {
            writeObject((Map<?, ?>) value, depth + 1);
        } else if (value instanceof List) {
            writeArray((List<?>) value, depth + 1);
        } else {
            throw new IllegalArgumentException("cannot write a " + value.getClass().getName() + " as JSON");
        }
    }

    private void writeFloating(Number value) {
        double d = value.doubleValue();
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("JSON has no number " + value);
        }
        out.append(value);
    }

    private void writeObject(Map<?, ?> object, int depth) {
        checkDepth(depth);
        out.append('{');
        Iterator<? extends Map.Entry<?, ?>> entries = object.entrySet().iterator();
        while (entries.hasNext()) {
            Map.Entry<?, ?> entry = entries.next();
            if (!(entry.getKey() instanceof String)) {
                throw new IllegalArgumentException("JSON object keys are strings, found " + typeName(entry.getKey()));
            }
            writeString((String) entry.getKey());
            out.append(':');
            writeValue(entry.getValue(), depth);
            if (entries.hasNext()) {
                out.append(',');
            }
        }
        out.append('}');
    }

    private void writeArray(List<?> array, int depth) {
        checkDepth(depth);
        out.append('[');
        for (int i = 0; i < array.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            writeValue(array.get(i), depth);
        }
        out.append(']');
    }

    private void writeString(String s) {
        out.append('"');
        int runStart = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String escape = escapeFor(c);
            if (escape == null && c >= 0x20 && !Character.isSurrogate(c)) {
                continue;
            }
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
                continue;
            }
            if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(String.format("string has an unpaired surrogate U+%04X at index %d", (int) c, i));
            }
            out.append(s, runStart, i);
            if (escape != null) {
                out.append(escape);
            } else {
                out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
            runStart = i + 1;
        }
        out.append(s, runStart, s.length()).append('"');
    }

    private static String escapeFor(char c) {
        switch (c) {
            case '"':
                return "\\\"";
            case '\\':
                return "\\\\";
            case '\b':
                return "\\b";
            case '\f':
                return "\\f";
            case '\n':
                return "\\n";
            case '\r':
                return "\\r";
            case '\t':
                return "\\t";
            default:
                return null;
        }
    }

    private void checkDepth(int depth) {
        if (depth > maxDepth) {
            throw new IllegalArgumentException("nesting deeper than " + maxDepth + " levels (a cycle?)");
        }
    }

    static String typeName(Object value) {
        if (value == null || value == JsonNull.NULL) {
            return "null";
        } else if (value instanceof Map) {
            return "an object";
        } else if (value instanceof List) {
            return "an array";
        } else if (value instanceof String) {
            return "a string";
        } else if (value instanceof Number) {
            return "a number";
        } else if (value instanceof Boolean) {
            return "a boolean";
        }
        return "a " + value.getClass().getName();
    }
}
