package io.crisp.core.container;

import io.crisp.core.bundle.Bundles;
import io.crisp.core.cdi.CdiRegistry;
import io.crisp.core.events.api.ContainerEventListener;
import io.crisp.core.events.api.ContainerEventType;
import io.crisp.core.image.ImageService;
import io.crisp.core.oci.ContainerSettings;
import io.crisp.core.oci.OciSpecs;
import io.crisp.core.oci.ResourceSettings;
import io.crisp.core.plugin.Handler;
import io.crisp.core.sandbox.PodContainers;
import io.crisp.core.sandbox.SandboxStore;
import io.crisp.core.state.IdPrefixes;
import io.crisp.core.state.Ids;
import io.crisp.core.state.KeyedLocks;
import io.crisp.spi.BackendException;
import io.crisp.spi.Capability;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.model.ContainerState;
import io.crisp.spi.model.ExitStatus;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Containers: CreateContainer through RemoveContainer, status, exec and exits. Every change to one
 * container runs under that container's lock, is written to disk before the call returns, and the
 * backend is the one of the container's pod. Reads answer from memory. The create itself is
 * {@link ContainerCreation}'s, ExecSync, Exec and Attach are {@link ContainerExecs}'.
 */
public final class ContainerService implements PodContainers {
    private static final Logger log = LoggerFactory.getLogger(ContainerService.class);

    private final SandboxStore sandboxes;
    private final ContainerStore containers;
    private final Bundles bundles;
    private final OciSpecs specs;
    private final KeyedLocks locks;
    private final ImageVolumes volumes;
    private final CheckpointService checkpoints;
    /** Told of each transition after it is recorded, under the container's lock. */
    private final ContainerEventListener events;
    private final ContainerExecs execs;
    private final ContainerCreation creation;

    /**
     * @param cdi the node's CDI spec files, which CDI devices are resolved from
     * @param volumesDir where image volumes live ({@code <root>/volumes})
     * @param checkpointsDir where checkpoint archives are assembled and unpacked ({@code <root>/checkpoints})
     */
    public ContainerService(SandboxStore sandboxes, ContainerStore containers, Bundles bundles, ImageService images, OciSpecs specs,
            KeyedLocks locks, ContainerEventListener events, CdiRegistry cdi, Path volumesDir, Path checkpointsDir) {
        this.checkpoints = new CheckpointService(sandboxes, containers, bundles, locks, checkpointsDir);
        this.volumes = new ImageVolumes(volumesDir);
        this.events = events;
        this.sandboxes = sandboxes;
        this.containers = containers;
        this.bundles = bundles;
        this.specs = specs;
        this.locks = locks;
        this.execs = new ContainerExecs(containers, sandboxes, bundles);
        this.creation = new ContainerCreation(sandboxes, containers, bundles, images, specs, locks, events, cdi, volumes, checkpoints);
    }

    public ContainerStore store() {
        return containers;
    }

    public CheckpointService checkpoints() {
        return checkpoints;
    }

    /** ExecSync, and Exec and Attach for the streaming server. */
    public ContainerExecs execs() {
        return execs;
    }

    @Override
    public List<String> idsInSandbox(String sandboxId) {
        return containers.inSandbox(sandboxId).stream().map(Container::id).toList();
    }

    /** Whether a container (or one being created) uses the image: RemoveImage refuses then. */
    public boolean usesImage(String imageId) {
        return creation.creatingFrom(imageId) || containers.all().stream().anyMatch(c -> c.imageId().equals(imageId));
    }

    public List<Container> list(ContainerFilter filter) {
        return containers.list(filter);
    }

    public Container status(String id) {
        return containers.resolve(id, "container_id");
    }

    /** Returns the new container's id. */
    public String create(String podSandboxId, ContainerSettings settings) {
        return creation.create(podSandboxId, settings);
    }

    public void start(String idOrPrefix) {
        Container found = containers.resolve(idOrPrefix, "container_id");
        locks.run(found.id(), () -> {
            Container c = current(found.id());
            if (c.state() != Container.State.CREATED) {
                throw BackendException.failedPrecondition("container_id: container %s is %s, only a created container can start",
                        c.id(), c.state().name().toLowerCase(java.util.Locale.ROOT));
            }
            ContainerState state;
            try {
                state = checkpoints.restoring(c) ? checkpoints.restore(c, handlerOf(c)) : backendOf(c).startContainer(c.id());
            } catch (RuntimeException e) {
                recordFailedStart(c);
                throw e;
            }
            Container started = c.started(state.startedAt().map(Ids::nanos).orElse(Ids.nowNanos()), state.pid().orElse(c.pid()));
            boolean exitedAlready = state.phase() == ContainerState.Phase.EXITED && state.exit().isPresent();
            if (exitedAlready) {
                started = applyExit(started, state.exit().get());
            }
            containers.put(started);
            events.changed(ContainerEventType.STARTED, c.id(), c.sandboxId());
            if (exitedAlready) {
                events.changed(ContainerEventType.STOPPED, c.id(), c.sandboxId());
            }
        });
    }

    /**
     * A failed start may leave the container exited in the backend (a runtime create at the start
     * that failed: reason StartError, as in containerd): recorded before the error is returned, not
     * only when the exit event comes. A container the backend still holds as created stays so.
     */
    private void recordFailedStart(Container c) {
        try {
            ContainerState state = backendOf(c).containerState(c.id());
            if (state.phase() == ContainerState.Phase.EXITED && state.exit().isPresent()) {
                containers.put(applyExit(c, state.exit().get()));
                events.changed(ContainerEventType.STOPPED, c.id(), c.sandboxId());
            }
        } catch (RuntimeException e) {
            log.debug("Container {}: no state after its failed start: {}", c.id(), e.getMessage());
        }
    }

    /** Stops the container; an exited, unknown or removed container is fine (CRI: idempotent). */
    @Override
    public void stop(String idOrPrefix, Duration timeout) {
        Optional<Container> found = findForIdempotentCall(idOrPrefix);
        if (found.isEmpty()) {
            return;
        }
        locks.run(found.get().id(), () -> stopLocked(found.get().id(), timeout));
    }

    private void stopLocked(String id, Duration timeout) {
        Optional<Container> now = containers.find(id);
        if (now.isEmpty() || now.get().state() == Container.State.EXITED) {
            return;
        }
        Container c = now.get();
        RuntimeBackend backend = backendOf(c);
        backend.stopContainer(c.id(), c.stopSignal(), timeout);
        ContainerState state = backend.containerState(c.id());
        Container latest = current(c.id());
        if (latest.state() != Container.State.EXITED) {
            ExitStatus exit = state.exit().orElse(new ExitStatus(137, Instant.now(), Optional.of("Error")));
            containers.put(applyExit(latest, exit));
            events.changed(ContainerEventType.STOPPED, c.id(), c.sandboxId());
        }
    }

    /** Removes the container, killing it first if it runs; unknown or removed is fine (CRI: idempotent). */
    @Override
    public void remove(String idOrPrefix) {
        Optional<Container> found = findForIdempotentCall(idOrPrefix);
        if (found.isEmpty()) {
            return;
        }
        locks.run(found.get().id(), () -> {
            Optional<Container> now = containers.find(found.get().id());
            if (now.isEmpty()) {
                return;
            }
            Container c = now.get();
            Optional<Handler> handler = sandboxes.handler(c.sandboxId());
            if (handler.isPresent()) {
                handler.get().backend().removeContainer(c.id());
            } else {
                log.warn("Removing container {} without a backend: its pod's handler is not configured; its processes may be left", c.id());
            }
            bundles.remove(c.id());
            execs.forget(c.id());
            containers.remove(c);
            removeVolumesIfLast(c.sandboxId(), c.settings().name());
            events.changed(ContainerEventType.DELETED, c.id(), c.sandboxId());
            log.info("Removed container {} ({})", c.id(), c.settings().name());
        });
    }

    /** Removes the image volumes of container {@code name} of the pod when no container of that name is left in it. */
    private void removeVolumesIfLast(String sandboxId, String name) {
        boolean others = containers.inSandbox(sandboxId).stream().anyMatch(o -> o.settings().name().equals(name));
        if (!others) {
            try {
                volumes.remove(sandboxId, name);
            } catch (UncheckedIOException e) {
                log.warn("Removing the image volumes of container {} in pod {}: {}", name, sandboxId, e.getMessage());
            }
        }
    }

    /** Removes the image volumes of pods that are not in {@code knownSandboxes} (left by a daemon that was killed). */
    public void removeVolumeLeftovers(java.util.Set<String> knownSandboxes) {
        volumes.removeLeftovers(knownSandboxes);
    }

    public void updateResources(String idOrPrefix, ResourceSettings resources) {
        Container c = containers.resolve(idOrPrefix, "container_id");
        if (c.state() == Container.State.EXITED) {
            throw BackendException.failedPrecondition("container_id: container %s has exited", c.id());
        }
        Handler handler = handlerOf(c);
        if (!handler.supports(Capability.UPDATE_RESOURCES)) {
            throw BackendException.unimplemented(handler.name(), "UpdateContainerResources");
        }
        locks.run(c.id(), () -> {
            handler.backend().updateContainerResources(c.id(), specs.resourcesJson(resources));
            containers.find(c.id()).ifPresent(now -> containers.put(now.withResources(resources)));
        });
    }

    public void reopenLog(String idOrPrefix) {
        Container c = execs.running(idOrPrefix);
        Handler handler = handlerOf(c);
        if (!handler.supports(Capability.REOPEN_LOG)) {
            throw BackendException.unimplemented(handler.name(), "ReopenContainerLog");
        }
        locks.run(c.id(), () -> handler.backend().reopenContainerLog(c.id()));
    }

    /**
     * A backend saw a container exit. Returns false when the id is no container (it may be a pod's
     * infra process).
     */
    public boolean exited(String id, ExitStatus status) {
        if (containers.find(id).isEmpty()) {
            return false;
        }
        if (creation.noteExit(id, status)) {
            return true; // its CreateContainer holds the lock and applies the exit when the backend returns
        }
        locks.run(id, () -> containers.find(id).ifPresent(c -> {
            if (c.state() != Container.State.EXITED) {
                containers.put(applyExit(c, status));
                events.changed(ContainerEventType.STOPPED, id, c.sandboxId());
                log.info("Container {} ({}) exited with {}{}", id, c.settings().name(), status.code(),
                        status.reason().map(r -> " (" + r + ")").orElse(""));
            }
        }));
        return true;
    }

    /** A backend saw an OOM kill; the exit that follows carries the reason. */
    public void oomKilled(String id) {
        log.info("Container {} was killed by the OOM killer", id);
    }

    /**
     * After a restart: adopts the records on disk, rolls back the containers whose CreateContainer a
     * killed daemon cut short, and asks each backend what happened to the others meanwhile.
     */
    public void recover() {
        new ContainerRecovery(sandboxes, containers, bundles, locks).recover();
    }

    static Container applyExit(Container c, ExitStatus exit) {
        String reason = exit.reason().orElse(exit.code() == 0 ? "Completed" : "Error");
        return c.exited(Ids.nanos(exit.finishedAt()), exit.code(), reason, TerminationMessages.read(c.settings()));
    }

    private Optional<Container> findForIdempotentCall(String idOrPrefix) {
        return IdPrefixes.orAbsent(() -> containers.resolve(idOrPrefix, "container_id"));
    }

    private Container current(String id) {
        return containers.find(id).orElseThrow(() -> BackendException.notFound("container_id: container %s not found", id));
    }

    private RuntimeBackend backendOf(Container c) {
        return handlerOf(c).backend();
    }

    private Handler handlerOf(Container c) {
        return handlerOf(sandboxes, c);
    }

    /** The handler of the container's pod. @throws BackendException FAILED_PRECONDITION when it is not configured any more */
    static Handler handlerOf(SandboxStore sandboxes, Container c) {
        return sandboxes.handler(c.sandboxId()).orElseThrow(() -> BackendException.failedPrecondition(
                "container %s: the runtime handler of its pod %s is not configured any more", c.id(), c.sandboxId()));
    }
}
