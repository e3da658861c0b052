package io.crisp.core.events;

import io.crisp.core.container.Container;
import io.crisp.core.events.api.ContainerEventType;
import io.crisp.core.sandbox.Sandbox;
import java.util.List;
import java.util.Optional;

/**
 * One transition with the pod as it was when the transition was published: its record (empty once
 * the pod is removed) and the records of all its containers then.
 */
public record ContainerEvent(String containerId, ContainerEventType type, long createdAtNanos, Optional<Sandbox> pod,
        List<Container> containers) {
    public ContainerEvent {
        containers = List.copyOf(containers);
    }
}
