package io.crisp.spi;

import static java.util.Objects.requireNonNull;

/**
 * Whether a backend can serve pods right now. The default handler's health becomes the CRI
 * {@code RuntimeReady} condition; a handler that is not ready is reported in {@code Status}.
 *
 * @param ready true when the backend can run pods
 * @param reason a CamelCase word for machines, empty when ready (for example {@code RuntimeBinaryMissing})
 * @param message a sentence for people, empty when ready
 */
public record BackendHealth(boolean ready, String reason, String message) {
    public BackendHealth {
        requireNonNull(reason, "reason is null");
        requireNonNull(message, "message is null");
        if (!ready && (reason.isEmpty() || message.isEmpty())) {
            throw new IllegalArgumentException("a backend that is not ready must say why (reason and message)");
        }
    }

    public static BackendHealth healthy() {
        return new BackendHealth(true, "", "");
    }

    public static BackendHealth unhealthy(String reason, String message) {
        return new BackendHealth(false, reason, message);
    }
}
