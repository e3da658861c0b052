package io.crisp.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The type of a configuration key: how a TOML value or a flag's text becomes a Java value, and what
 * the error says when it cannot.
 */
public sealed interface ValueType permits ValueType.Text, ValueType.AbsolutePath, ValueType.PathList, ValueType.ImagePatterns, ValueType.Choice, ValueType.Size, ValueType.Span {
    /** Converts a TOML node; returns null when the node has the wrong type. */
    Object fromToml(JsonNode node);

    /** Converts a flag's text; returns null when it does not parse. */
    Object fromText(String text);

    /** What was expected, for error messages ("a string", "one of info, debug"). */
    String expected();

    /** The value as TOML source text. */
    String toToml(Object value);

    record Text() implements ValueType {
        @Override
        public Object fromToml(JsonNode node) {
            return node.isTextual() ? node.textValue() : null;
        }

        @Override
        public Object fromText(String text) {
            return text;
        }

        @Override
        public String expected() {
            return "a string";
        }

        @Override
        public String toToml(Object value) {
            return TomlText.quote((String) value);
        }
    }

    record AbsolutePath() implements ValueType {
        @Override
        public Object fromToml(JsonNode node) {
            return node.isTextual() ? fromText(node.textValue()) : null;
        }

        @Override
        public Object fromText(String text) {
            Path path = Path.of(text);
            return path.isAbsolute() ? path.normalize() : null;
        }

        @Override
        public String expected() {
            return "an absolute path";
        }

        @Override
        public String toToml(Object value) {
            return TomlText.quote(value.toString());
        }
    }

    /**
     * One or more absolute paths: a TOML array of strings, or (in a flag and also accepted in TOML)
     * one string with the paths separated by {@code :}, as in {@code PATH}. The value is a {@code List<Path>}.
     */
    record PathList() implements ValueType {
        @Override
        public Object fromToml(JsonNode node) {
            if (node.isTextual()) {
                return fromText(node.textValue());
            }
            if (!node.isArray() || node.isEmpty()) {
                return null;
            }
            List<Path> paths = new java.util.ArrayList<>();
            for (JsonNode item : node) {
                Object one = item.isTextual() ? new AbsolutePath().fromText(item.textValue()) : null;
                if (one == null) {
                    return null;
                }
                paths.add((Path) one);
            }
            return List.copyOf(paths);
        }

        @Override
        public Object fromText(String text) {
            List<Path> paths = new java.util.ArrayList<>();
            for (String part : text.split(":")) {
                Object one = new AbsolutePath().fromText(part);
                if (one == null) {
                    return null;
                }
                paths.add((Path) one);
            }
            return paths.isEmpty() ? null : List.copyOf(paths);
        }

        @Override
        public String expected() {
            return "absolute paths (an array, or one string separated by ':')";
        }

        @Override
        public String toToml(Object value) {
            StringBuilder out = new StringBuilder("[");
            for (Object p : (List<?>) value) {
                out.append(out.length() > 1 ? ", " : "").append(TomlText.quote(p.toString()));
            }
            return out.append(']').toString();
        }
    }

    /**
     * Image names, each exact or ending in one {@code *} (a prefix glob, as CRI-O's pinned_images):
     * a TOML array of strings (may be empty), or in a flag one string separated by {@code ,}.
     * The value is a {@code List<String>}.
     */
    record ImagePatterns() implements ValueType {
        @Override
        public Object fromToml(JsonNode node) {
            if (!node.isArray()) {
                return null;
            }
            List<String> patterns = new java.util.ArrayList<>();
            for (JsonNode item : node) {
                if (!item.isTextual() || !valid(item.textValue())) {
                    return null;
                }
                patterns.add(item.textValue());
            }
            return List.copyOf(patterns);
        }

        @Override
        public Object fromText(String text) {
            List<String> patterns = new java.util.ArrayList<>();
            for (String part : text.split(",", -1)) {
                if (!valid(part)) {
                    return text.isEmpty() ? List.of() : null;
                }
                patterns.add(part);
            }
            return List.copyOf(patterns);
        }

        private static boolean valid(String pattern) {
            int star = pattern.indexOf('*');
            return !pattern.isEmpty() && pattern.chars().noneMatch(Character::isWhitespace)
                    && (star < 0 || star == pattern.length() - 1);
        }

        @Override
        public String expected() {
            return "an array of image names, each exact or ending in one '*' (in a flag: separated by ',')";
        }

        @Override
        public String toToml(Object value) {
            StringBuilder out = new StringBuilder("[");
            for (Object p : (List<?>) value) {
                out.append(out.length() > 1 ? ", " : "").append(TomlText.quote(p.toString()));
            }
            return out.append(']').toString();
        }
    }

    /** One of a fixed set of lower-case words. */
    record Choice(List<String> choices) implements ValueType {
        public Choice {
            choices = List.copyOf(choices);
        }

        @Override
        public Object fromToml(JsonNode node) {
            return node.isTextual() ? fromText(node.textValue()) : null;
        }

        @Override
        public Object fromText(String text) {
            String word = text.toLowerCase(Locale.ROOT);
            return choices.contains(word) ? word : null;
        }

        @Override
        public String expected() {
            return "one of " + String.join(", ", choices);
        }

        @Override
        public String toToml(Object value) {
            return TomlText.quote((String) value);
        }
    }

    /** A whole number of bytes, at least {@code min}. */
    record Size(long min, long max) implements ValueType {
        @Override
        public Object fromToml(JsonNode node) {
            if (!node.isIntegralNumber() || !node.canConvertToLong()) {
                return null;
            }
            long v = node.longValue();
            return v >= min && v <= max ? v : null;
        }

        @Override
        public Object fromText(String text) {
            try {
                long v = Long.parseLong(text.trim());
                return v >= min && v <= max ? v : null;
            } catch (NumberFormatException e) {
                return null;
            }
        }

        @Override
        public String expected() {
            return "an integer from " + min + " to " + max;
        }

        @Override
        public String toToml(Object value) {
            return value.toString();
        }
    }

    /** A duration in CRI-O/containerd style ("5m0s", "30s") or ISO-8601, from {@code min} to {@code max}. */
    record Span(java.time.Duration min, java.time.Duration max) implements ValueType {
        @Override
        public Object fromToml(JsonNode node) {
            return node.isTextual() ? fromText(node.textValue()) : null;
        }

        @Override
        public Object fromText(String text) {
            try {
                java.time.Duration d = io.crisp.spi.Durations.parse(text);
                return d.compareTo(min) >= 0 && d.compareTo(max) <= 0 ? d : null;
            } catch (RuntimeException e) {
                return null;
            }
        }

        @Override
        public String expected() {
            return "a duration from " + io.crisp.spi.Durations.format(min) + " to " + io.crisp.spi.Durations.format(max) + " (e.g. \"5m\")";
        }

        @Override
        public String toToml(Object value) {
            return TomlText.quote(io.crisp.spi.Durations.format((java.time.Duration) value));
        }
    }
}
