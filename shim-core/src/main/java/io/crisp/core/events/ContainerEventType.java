package io.crisp.core.events;

/** The lifecycle transitions the runtime reports, one each per container (CRI {@code ContainerEventType}). */
public enum ContainerEventType {
    CREATED,
    STARTED,
    STOPPED,
    DELETED
}
