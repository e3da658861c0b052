package io.crisp.core.events.api;

/** The lifecycle transitions the runtime reports, one each per container (CRI {@code ContainerEventType}). */
public enum ContainerEventType {
    CREATED,
    STARTED,
    STOPPED,
    DELETED
}
