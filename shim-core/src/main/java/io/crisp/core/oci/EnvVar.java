package io.crisp.core.oci;

/** One environment variable a container config sets (CRI {@code KeyValue}). */
public record EnvVar(String key, String value) {
    public EnvVar {
        key = key == null ? "" : key;
        value = value == null ? "" : value;
    }
}
