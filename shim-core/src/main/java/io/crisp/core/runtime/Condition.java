package io.crisp.core.runtime;

import static java.util.Objects.requireNonNull;

/** A CRI {@code RuntimeCondition}: reason and message are set when the condition is false. */
public record Condition(String type, boolean status, String reason, String message) {
    public static final String RUNTIME_READY = "RuntimeReady";
    public static final String NETWORK_READY = "NetworkReady";
    /** crisp's own: {@code HandlerReady/runc}, reported false while that handler is not ready. */
    public static final String HANDLER_READY_PREFIX = "HandlerReady/";

    public Condition {
        requireNonNull(type, "type is null");
        requireNonNull(reason, "reason is null");
        requireNonNull(message, "message is null");
    }

    public static Condition ready(String type) {
        return new Condition(type, true, "", "");
    }

    public static Condition notReady(String type, String reason, String message) {
        return new Condition(type, false, reason, message);
    }
}
