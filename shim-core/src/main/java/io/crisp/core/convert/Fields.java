package io.crisp.core.convert;

import io.crisp.spi.BackendException;

/** The field checks every request converter shares; each failure names the field, as CRI callers expect. */
final class Fields {
    private Fields() {}

    /** {@code value}, refused with INVALID_ARGUMENT naming {@code field} when empty. */
    static String required(String value, String field) {
        if (value.isEmpty()) {
            throw BackendException.invalidArgument("%s: must not be empty", field);
        }
        return value;
    }

    /** {@code value}, refused with INVALID_ARGUMENT naming {@code field} when negative. */
    static long notNegative(long value, String field) {
        if (value < 0) {
            throw BackendException.invalidArgument("%s: must not be negative, got %d", field, value);
        }
        return value;
    }
}
