package io.crisp.core.stream.session;

/** A session could not start or broke; the message goes to the client's error stream as is. */
public final class StreamFailure extends RuntimeException {
    public StreamFailure(String message) {
        super(message);
    }

    public StreamFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
