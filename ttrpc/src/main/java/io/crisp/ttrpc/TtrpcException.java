package io.crisp.ttrpc;

import static java.util.Objects.requireNonNull;

/** A failed ttrpc call: the status the server answered with, or what went wrong on this side. */
public final class TtrpcException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Code code;
    private final String detail;

    public TtrpcException(Code code, String detail) {
        this(code, detail, null);
    }

    public TtrpcException(Code code, String detail, Throwable cause) {
        super(requireNonNull(code, "code is null") + ": " + detail, cause);
        this.code = code;
        this.detail = detail == null ? "" : detail;
    }

    public Code code() {
        return code;
    }

    /** The message without the code, as the server sent it. */
    public String detail() {
        return detail;
    }
}
