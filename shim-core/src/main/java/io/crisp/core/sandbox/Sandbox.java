package io.crisp.core.sandbox;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.model.PodIdentity;
import java.util.Map;

/**
 * A pod sandbox as the core records it: immutable; a state change stores a new record.
 *
 * @param createdAtNanos creation time in nanoseconds since the epoch (CRI: must be > 0)
 * @param handler the runtime handler it was created with; every later call goes to it
 */
public record Sandbox(String id, PodIdentity pod, State state, long createdAtNanos, Map<String, String> labels,
        Map<String, String> annotations, String handler) {
    /** CRI {@code PodSandboxState}. */
    public enum State { READY, NOT_READY }

    public Sandbox {
        requireNonNull(id, "id is null");
        requireNonNull(pod, "pod is null");
        requireNonNull(state, "state is null");
        if (createdAtNanos <= 0) {
            throw new IllegalArgumentException("createdAtNanos must be > 0: " + createdAtNanos);
        }
        labels = Map.copyOf(requireNonNull(labels, "labels is null"));
        annotations = Map.copyOf(requireNonNull(annotations, "annotations is null"));
        requireNonNull(handler, "handler is null");
    }
}
