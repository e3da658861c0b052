package io.crisp.core.config;

import java.util.List;
import java.util.Map;

/** Writes TOML values: basic strings with escapes, numbers, booleans, arrays, inline tables. */
final class TomlText {
    private TomlText() {}

    static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /** A bare key when it can be one, else a quoted key. */
    static String key(String key) {
        return key.matches("[A-Za-z0-9_-]+") ? key : quote(key);
    }

    static String value(Object value) {
        if (value instanceof String s) {
            return quote(s);
        }
        if (value instanceof Double d && (d.isNaN() || d.isInfinite())) {
            return d.isNaN() ? "nan" : d > 0 ? "inf" : "-inf";
        }
        if (value instanceof Number || value instanceof Boolean) {
            return value.toString();
        }
        if (value instanceof List<?> list) {
            StringBuilder out = new StringBuilder("[");
            for (int i = 0; i < list.size(); i++) {
                out.append(i == 0 ? "" : ", ").append(value(list.get(i)));
            }
            return out.append(']').toString();
        }
        if (value instanceof Map<?, ?> map) {
            StringBuilder out = new StringBuilder("{ ");
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.append(first ? "" : ", ").append(key(e.getKey().toString())).append(" = ").append(value(e.getValue()));
                first = false;
            }
            return out.append(" }").toString();
        }
        return quote(String.valueOf(value));
    }
}
