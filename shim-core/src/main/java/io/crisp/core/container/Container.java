package io.crisp.core.container;

import static java.util.Objects.requireNonNull;

import io.crisp.core.oci.ContainerSettings;
import io.crisp.core.oci.ResourceSettings;

/**
 * A container as the core records it, in memory and in {@code <root>/containers/<id>.json}:
 * immutable; a state change stores a new record.
 *
 * @param image the image as the request named it
 * @param imageId the image id (config digest) it was created from
 * @param imageRef what ContainerStatus reports as {@code image_ref}: a repo digest when known, else the id
 * @param logPath the absolute CRI log file, empty when the pod has no log directory
 * @param stopSignal the Linux signal number StopContainer sends first (the image's StopSignal, else SIGTERM)
 * @param pid the container's init process on the host, 0 when not known
 * @param reason for an exited container: {@code Completed}, {@code Error}, {@code OOMKilled}, {@code StartError}
 * @param resources the resources in force: the config's, then each UpdateContainerResources'
 * @param user the uid, gid and groups of the container's process; null in records written before it was kept
 */
public record Container(String id, String sandboxId, ContainerSettings settings, String image, String imageId, String imageRef,
        State state, long createdAtNanos, long startedAtNanos, long finishedAtNanos, int exitCode, String reason, String message,
        String logPath, int stopSignal, long pid, ResourceSettings resources, ProcessUser user) {
    /** CRI {@code ContainerState}. */
    public enum State { CREATED, RUNNING, EXITED, UNKNOWN }

    public Container {
        requireNonNull(id, "id is null");
        requireNonNull(sandboxId, "sandboxId is null");
        requireNonNull(settings, "settings is null");
        requireNonNull(image, "image is null");
        requireNonNull(imageId, "imageId is null");
        requireNonNull(imageRef, "imageRef is null");
        requireNonNull(state, "state is null");
        requireNonNull(reason, "reason is null");
        requireNonNull(message, "message is null");
        requireNonNull(logPath, "logPath is null");
        resources = resources == null ? ResourceSettings.NONE : resources; // null: written before this field existed
    }

    public Container started(long atNanos, long processId) {
        return new Container(id, sandboxId, settings, image, imageId, imageRef, State.RUNNING, createdAtNanos, atNanos, 0, 0, "", "",
                logPath, stopSignal, processId, resources, user);
    }

    /** The exit time is never before the start: a quick process may exit before the start is recorded. */
    public Container exited(long atNanos, int code, String why, String text) {
        return new Container(id, sandboxId, settings, image, imageId, imageRef, State.EXITED, createdAtNanos, startedAtNanos,
                Math.max(atNanos, startedAtNanos),
                code, why, text, logPath, stopSignal, pid, resources, user);
    }

    public Container withState(State next) {
        return new Container(id, sandboxId, settings, image, imageId, imageRef, next, createdAtNanos, startedAtNanos, finishedAtNanos,
                exitCode, reason, message, logPath, stopSignal, pid, resources, user);
    }

    public Container withResources(ResourceSettings next) {
        return new Container(id, sandboxId, settings, image, imageId, imageRef, state, createdAtNanos, startedAtNanos, finishedAtNanos,
                exitCode, reason, message, logPath, stopSignal, pid, next, user);
    }

    public Container withPid(long processId) {
        return new Container(id, sandboxId, settings, image, imageId, imageRef, state, createdAtNanos, startedAtNanos, finishedAtNanos,
                exitCode, reason, message, logPath, stopSignal, processId, resources, user);
    }

    /** The name reserved for this container within its pod: metadata name and attempt. */
    public String reservedName() {
        return reservedName(sandboxId, settings.name(), settings.attempt());
    }

    public static String reservedName(String sandboxId, String name, int attempt) {
        return name + "_" + sandboxId + "_" + attempt;
    }

    public boolean running() {
        return state == State.RUNNING;
    }
}
