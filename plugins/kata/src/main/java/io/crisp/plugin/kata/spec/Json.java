package io.crisp.plugin.kata.spec;

import java.util.Map;

/**
 * Strict JSON (RFC 8259) without a library: parses text into a plain tree and writes a tree back as
 * compact JSON.
 *
 * <p>Tree types: objects are {@code LinkedHashMap<String, Object>} (key order kept, duplicate keys
 * refused), arrays {@code ArrayList<Object>}, strings {@code String}, {@code true}/{@code false}
 * {@code Boolean}, {@code null} {@link #NULL}. A number without fraction or exponent is a {@code Long},
 * or a {@code BigInteger} beyond the long range; any other number is a {@code Double} when the double
 * has exactly the written value, else a {@code BigDecimal}. So every number writes back with its value
 * unchanged. Nesting deeper than {@link #MAX_DEPTH} is refused, by parser and writer alike.
 */
public final class Json {
    /** The value JSON {@code null} parses to. */
    public static final JsonNull NULL = JsonNull.NULL;

    /** Deepest nesting of objects and arrays accepted. */
    public static final int MAX_DEPTH = 256;

    private Json() {
    }

    /**
     * Parses one JSON value (any type) filling the whole text; whitespace around it is allowed.
     *
     * @throws JsonException if the text is not exactly one JSON value
     */
    public static Object parse(String text) {
        return new JsonParser(text, MAX_DEPTH).parseDocument();
    }

    /**
     * Parses a JSON text whose value must be an object.
     *
     * @throws JsonException if the text is not JSON, or its value is not an object
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object value = parse(text);
        if (!(value instanceof Map)) {
            throw new JsonException(0, "expected a JSON object, found " + JsonWriter.typeName(value));
        }
        return (Map<String, Object>) value;
    }

    /**
     * Writes a tree as compact JSON (no whitespace). Accepts the parser's types, plus Java {@code null}
     * as JSON null, any {@code Map} with String keys, any {@code List}, and Integer, Short, Byte and Float.
     *
     * @throws IllegalArgumentException for another type, a non-String key, a NaN or infinite number, a
     *     string holding an unpaired surrogate, or nesting deeper than {@link #MAX_DEPTH} (a cycle)
     */
    public static String write(Object value) {
        return new JsonWriter(MAX_DEPTH).write(value);
    }
}
