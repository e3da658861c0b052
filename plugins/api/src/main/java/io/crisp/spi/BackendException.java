package io.crisp.spi;

import static java.util.Objects.requireNonNull;

/**
 * The one exception a backend throws. Its {@link Kind} tells the core how to answer the caller; the
 * message is shown to the user as is, so it names the object, field, handler or file concerned.
 * Plugins never see gRPC status codes: the core maps each kind to one.
 */
public class BackendException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, from the caller's point of view. */
    public enum Kind {
        /** The object does not exist. */
        NOT_FOUND,
        /** The object exists already. */
        ALREADY_EXISTS,
        /** The request or the handler configuration is wrong; retrying the same request will fail again. */
        INVALID_ARGUMENT,
        /** The object is in a state that does not allow the operation (for example, not running). */
        FAILED_PRECONDITION,
        /** The caller's credentials were refused (a registry answered 401 or 403 to them). */
        PERMISSION_DENIED,
        /** The backend cannot serve right now (binary missing, VM not reachable); a retry may succeed. */
        UNAVAILABLE,
        /** The operation ran out of time. */
        DEADLINE_EXCEEDED,
        /** The backend does not offer the operation. */
        UNIMPLEMENTED,
        /** A bug or an unexpected failure of the backend. */
        INTERNAL
    }

    private final Kind kind;

    public BackendException(Kind kind, String message) {
        this(kind, message, null);
    }

    public BackendException(Kind kind, String message, Throwable cause) {
        super(requireNonNull(message, "message is null"), cause);
        this.kind = requireNonNull(kind, "kind is null");
    }

    public Kind kind() {
        return kind;
    }

    public static BackendException notFound(String format, Object... args) {
        return new BackendException(Kind.NOT_FOUND, String.format(format, args));
    }

    public static BackendException invalidArgument(String format, Object... args) {
        return new BackendException(Kind.INVALID_ARGUMENT, String.format(format, args));
    }

    public static BackendException failedPrecondition(String format, Object... args) {
        return new BackendException(Kind.FAILED_PRECONDITION, String.format(format, args));
    }

    public static BackendException unavailable(String format, Object... args) {
        return new BackendException(Kind.UNAVAILABLE, String.format(format, args));
    }

    /**
     * The answer for an operation a backend does not offer, naming the handler and the operation, so
     * the user sees for example "handler 'kata' does not implement ExecSync".
     */
    public static BackendException unimplemented(String handler, String operation) {
        return new BackendException(Kind.UNIMPLEMENTED,
                String.format("handler '%s' does not implement %s", handler, operation));
    }
}
