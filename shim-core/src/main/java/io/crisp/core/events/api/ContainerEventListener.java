package io.crisp.core.events.api;

/**
 * What the container and sandbox services tell about a transition, right after it is recorded and
 * while the container's (or pod's) lock is held, so calls for one id come in transition order.
 * Implementations must return quickly and must not throw.
 */
@FunctionalInterface
public interface ContainerEventListener {
    /** Tells nobody: for services built without an event hub. */
    ContainerEventListener NONE = (type, containerId, sandboxId) -> { };

    /**
     * @param containerId the container, or for the pod's own lifecycle the sandbox id
     * @param sandboxId the pod the container belongs to (the same id for the pod's own events)
     */
    void changed(ContainerEventType type, String containerId, String sandboxId);
}
