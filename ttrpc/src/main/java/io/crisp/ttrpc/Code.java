package io.crisp.ttrpc;

/** Status codes of a ttrpc response: the gRPC code numbers, which ttrpc reuses. */
public enum Code {
    OK,
    CANCELLED,
    UNKNOWN,
    INVALID_ARGUMENT,
    DEADLINE_EXCEEDED,
    NOT_FOUND,
    ALREADY_EXISTS,
    PERMISSION_DENIED,
    RESOURCE_EXHAUSTED,
    FAILED_PRECONDITION,
    ABORTED,
    OUT_OF_RANGE,
    UNIMPLEMENTED,
    INTERNAL,
    UNAVAILABLE,
    DATA_LOSS,
    UNAUTHENTICATED;

    private static final Code[] BY_NUMBER = values();

    /** The number on the wire. */
    public int number() {
        return ordinal();
    }

    /** The code with this number; numbers this version does not know are UNKNOWN. */
    public static Code of(int number) {
        return number >= 0 && number < BY_NUMBER.length ? BY_NUMBER[number] : UNKNOWN;
    }
}
