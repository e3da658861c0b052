package io.crisp.plugin.kata.spec;

import java.util.List;
import java.util.Map;

/** Typed steps into a parsed spec: a missing member or JSON null is absent, a wrong type is an error. */
final class SpecTree {
    private SpecTree() {
    }

    /** The object at parent[key], or null when absent or JSON null. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Map<String, Object> parent, String key, String path) {
        Object value = parent.get(key);
        if (isAbsent(value)) {
            return null;
        }
        if (!(value instanceof Map)) {
            throw wrongType(path, "an object", value);
        }
        return (Map<String, Object>) value;
    }

    /** The array at parent[key], or null when absent or JSON null. */
    @SuppressWarnings("unchecked")
    static List<Object> list(Map<String, Object> parent, String key, String path) {
        Object value = parent.get(key);
        if (isAbsent(value)) {
            return null;
        }
        if (!(value instanceof List)) {
            throw wrongType(path, "an array", value);
        }
        return (List<Object>) value;
    }

    static boolean isAbsent(Object value) {
        return value == null || value == JsonNull.NULL;
    }

    private static IllegalArgumentException wrongType(String path, String expected, Object value) {
        return new IllegalArgumentException("spec: " + path + " is " + JsonWriter.typeName(value) + ", expected " + expected);
    }
}
