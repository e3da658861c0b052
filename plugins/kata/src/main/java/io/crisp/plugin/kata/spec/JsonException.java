package io.crisp.plugin.kata.spec;

/** Input that is not JSON (RFC 8259); names the character offset where parsing stopped. */
public final class JsonException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int offset;

    JsonException(int offset, String problem) {
        super("offset " + offset + ": " + problem);
        this.offset = offset;
    }

    /** Offset in the input, in UTF-16 chars (a Java String index), of the offending character. */
    public int offset() {
        return offset;
    }
}
