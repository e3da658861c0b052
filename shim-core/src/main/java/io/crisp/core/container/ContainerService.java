package io.crisp.core.container;

import io.crisp.core.bundle.Bundles;
import io.crisp.core.cdi.CdiEdits;
import io.crisp.core.cdi.CdiRegistry;
import io.crisp.core.events.api.ContainerEventListener;
import io.crisp.core.events.api.ContainerEventType;
import io.crisp.core.image.ImageRecord;
import io.crisp.core.image.ImageService;
import io.crisp.core.oci.ContainerExtras;
import io.crisp.core.oci.ContainerSettings;
import io.crisp.core.oci.ExecProcesses;
import io.crisp.core.oci.MountSettings;
import io.crisp.core.oci.OciSpecs;
import io.crisp.core.oci.PodFiles;
import io.crisp.core.oci.ResourceSettings;
import io.crisp.core.oci.Signals;
import io.crisp.core.plugin.Handler;
import io.crisp.core.sandbox.PodContainers;
import io.crisp.core.sandbox.Sandbox;
import io.crisp.core.sandbox.SandboxStore;
import io.crisp.core.state.CallsInFlight;
import io.crisp.core.state.IdPrefixes;
import io.crisp.core.state.Ids;
import io.crisp.core.state.KeyedLocks;
import io.crisp.spi.BackendException;
import io.crisp.spi.Capability;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.StdioSession;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.ContainerState;
import io.crisp.spi.model.ExecResult;
import io.crisp.spi.model.ExecSpec;
import io.crisp.spi.model.ExitStatus;
import io.crisp.spi.model.StdioWiring;
import io.crisp.spi.model.StreamExecSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Containers: CreateContainer through RemoveContainer, status, exec and exits. Every change to one
 * container runs under that container's lock, is written to disk before the call returns, and the
 * backend is the one of the container's pod. Reads answer from memory.
 */
public final class ContainerService implements PodContainers {
    private static final Logger log = LoggerFactory.getLogger(ContainerService.class);

    private final SandboxStore sandboxes;
    private final ContainerStore containers;
    private final Bundles bundles;
    private final ImageService images;
    private final OciSpecs specs;
    private final KeyedLocks locks;
    private final CdiRegistry cdi;
    private final ImageVolumes volumes;
    private final CheckpointService checkpoints;
    /** Told of each transition after it is recorded, under the container's lock. */
    private final ContainerEventListener events;
    /** Image ids of containers being created, which RemoveImage must not delete meanwhile. */
    private final Map<String, Integer> creating = new ConcurrentHashMap<>();
    /** Each container's own OCI process, read from its config.json on its first exec (probes exec every few seconds). */
    private final Map<String, com.fasterxml.jackson.databind.JsonNode> execBases = new ConcurrentHashMap<>();
    /** Containers whose createContainer is in flight, with the exit a backend reported meanwhile. */
    private final CallsInFlight<ExitStatus> inCreate = new CallsInFlight<>();

    /**
     * @param cdi the node's CDI spec files, which CDI devices are resolved from
     * @param volumesDir where image volumes live ({@code <root>/volumes})
     * @param checkpointsDir where checkpoint archives are assembled and unpacked ({@code <root>/checkpoints})
     */
    public ContainerService(SandboxStore sandboxes, ContainerStore containers, Bundles bundles, ImageService images, OciSpecs specs,
            KeyedLocks locks, ContainerEventListener events, CdiRegistry cdi, Path volumesDir, Path checkpointsDir) {
        this.checkpoints = new CheckpointService(sandboxes, containers, bundles, locks, checkpointsDir);
        this.cdi = cdi;
        this.volumes = new ImageVolumes(volumesDir);
        this.events = events;
        this.sandboxes = sandboxes;
        this.containers = containers;
        this.bundles = bundles;
        this.images = images;
        this.specs = specs;
        this.locks = locks;
    }

    public ContainerStore store() {
        return containers;
    }

    public CheckpointService checkpoints() {
        return checkpoints;
    }

    @Override
    public List<String> idsInSandbox(String sandboxId) {
        return containers.inSandbox(sandboxId).stream().map(Container::id).toList();
    }

    /** Whether a container (or one being created) uses the image: RemoveImage refuses then. */
    public boolean usesImage(String imageId) {
        return creating.containsKey(imageId) || containers.all().stream().anyMatch(c -> c.imageId().equals(imageId));
    }

    public List<Container> list(ContainerFilter filter) {
        return containers.list(filter);
    }

    public Container status(String id) {
        return containers.resolve(id, "container_id");
    }

    /** A recursively read-only mount needs a handler that reports the feature (Status: recursive_read_only_mounts). */
    private static void requireRecursiveReadOnly(Handler handler, ContainerSettings settings) {
        List<io.crisp.core.oci.MountSettings> mounts = settings.mounts();
        for (int i = 0; i < mounts.size(); i++) {
            if (mounts.get(i).recursiveReadOnly() && !handler.supports(io.crisp.spi.Capability.RECURSIVE_READ_ONLY_MOUNTS)) {
                throw BackendException.invalidArgument("config.mounts[%d].recursive_read_only: runtime handler '%s' does not"
                        + " support recursive read-only mounts (see its recursive_read_only_mounts feature in Status)", i, handler.name());
            }
        }
    }

    /** Returns the new container's id. */
    public String create(String podSandboxId, ContainerSettings settings) {
        Sandbox sandbox = sandboxes.resolve(podSandboxId, "pod_sandbox_id");
        if (sandbox.state() != Sandbox.State.READY) {
            throw BackendException.failedPrecondition("pod_sandbox_id: pod sandbox %s is not ready", sandbox.id());
        }
        Handler handler = handlerOf(sandbox);
        requireRecursiveReadOnly(handler, settings);
        // An image that is the path of a checkpoint archive restores it (as CRI-O does), onto the image it was made from.
        Optional<Path> archive = checkpoints.archiveOf(settings.image());
        if (archive.isPresent() && !handler.supports(Capability.CHECKPOINT_RESTORE)) {
            throw BackendException.unimplemented(handler.name(), "restore of a checkpoint");
        }
        CheckpointService.Unpacked restore = archive.map(checkpoints::unpack).orElse(null);
        try {
            String imageName = restore == null ? settings.image() : restore.image();
            ImageRecord image = images.status(imageName).orElseThrow(() -> BackendException.notFound(
                    "config.image.image: image %s is not present; pull it first", imageName));
            String id = Ids.random();
            // The whole create holds the container's lock: a Remove (or Start) of the listed, CREATED
            // container waits until the backend has created it.
            return locks.with(id, () -> createLocked(id, sandbox, handler, image, settings, restore));
        } finally {
            if (restore != null) {
                checkpoints.discard(restore);
            }
        }
    }

    /** @param restore the unpacked checkpoint archive to restore, null for a plain create */
    private String createLocked(String id, Sandbox sandbox, Handler handler, ImageRecord image, ContainerSettings settings,
            CheckpointService.Unpacked restore) {
        String name = Container.reservedName(sandbox.id(), settings.name(), settings.attempt());
        containers.reserve(name, id);
        creating.merge(image.id(), 1, Integer::sum);
        boolean recorded = false;
        try {
            containers.beginCreate(id); // a daemon killed from here on leaves a mark: the restart rolls the container back
            Optional<Path> logPath = LogPaths.resolve(sandbox.logDirectory(), settings.logPath());
            long targetPid = -1;
            if (!settings.pidTargetId().isEmpty()) {
                Container target = containers.resolve(settings.pidTargetId(), "config.linux.security_context.namespace_options.target_id");
                if (!target.running() || target.pid() <= 0) {
                    throw BackendException.failedPrecondition(
                            "config.linux.security_context.namespace_options.target_id: container %s is not running", target.id());
                }
                targetPid = target.pid();
            }
            Path rootfs = bundles.mountRootfs(id, image);
            Path bundle = bundles.bundle(id);
            List<CdiRegistry.Device> cdiDevices = cdi.resolve(CdiEdits.requested(settings.cdiDevices(), settings.annotations()));
            List<MountSettings> imageVolumes = handler.specRules().ignoreImageDefinedVolumes() ? List.of()
                    : volumes.prepare(sandbox.id(), settings.name(), image.config().volumes(), settings.mounts(), rootfs);
            var extras = new ContainerExtras(!handler.specRules().privilegedWithoutHostDevices(), imageVolumes);
            var spec = specs.container(id, sandbox.id(), sandbox.settings(), settings, image.config(), rootfs,
                    PodFiles.at(bundles.podFiles(sandbox.id())), sandbox.namespacePaths(), targetPid, extras);
            CdiEdits.apply(spec, cdiDevices);
            handler.specRules().applyToContainer(spec, settings.annotations().keySet());
            OciSpecs.write(bundle, spec);
            if (restore != null) {
                checkpoints.prepareRestore(restore, rootfs, bundle);
            }
            int stopSignal = Signals.number(settings.stopSignal().isEmpty() ? image.config().stopSignal() : settings.stopSignal());
            String imageRef = image.repoDigests().isEmpty() ? image.id() : image.repoDigests().get(0);
            Container container = new Container(id, sandbox.id(), settings, restore == null ? settings.image() : restore.imageName(), image.id(), imageRef,
                    Container.State.CREATED, Ids.nowNanos(), 0, 0, 0, "", "", logPath.map(Path::toString).orElse(""), stopSignal, 0,
                    settings.resources(), ProcessUser.of(spec));
            // Recorded under the pod's lock, and only while the pod is ready: a StopPodSandbox or
            // RemovePodSandbox that ran first refuses it; one that runs later finds it under that lock.
            locks.run(sandbox.id(), () -> {
                if (sandboxes.find(sandbox.id()).map(s -> s.state() != Sandbox.State.READY).orElse(true)) {
                    throw BackendException.failedPrecondition("pod_sandbox_id: pod sandbox %s was stopped or removed meanwhile", sandbox.id());
                }
                containers.put(container);
            });
            recorded = true;
            ContainerState state;
            Optional<ExitStatus> exitedMeanwhile;
            inCreate.begin(id);
            try {
                // A restore creates nothing in the backend yet: StartContainer restores (CheckpointService.restore).
                state = restore != null ? new ContainerState(id, ContainerState.Phase.CREATED, java.util.OptionalLong.empty(), Optional.empty(),
                        Optional.empty()) : handler.backend().createContainer(new ContainerSpec(id, sandbox.id(), settings.name(), bundle,
                        logPath, settings.stdin(), settings.stdinOnce(), settings.tty(), settings.annotations(),
                        spec.path("linux").path("cgroupsPath").asText("")));
            } finally {
                exitedMeanwhile = inCreate.finish(id);
            }
            Container created = container.withPid(state.pid().orElse(0));
            if (created.pid() != container.pid()) {
                containers.put(created); // a backend that defers its create to the start has no pid yet: the record stands
            }
            events.changed(ContainerEventType.CREATED, id, sandbox.id());
            if (exitedMeanwhile.isPresent()) {
                containers.put(applyExit(created, exitedMeanwhile.get()));
                events.changed(ContainerEventType.STOPPED, id, sandbox.id());
                log.info("Container {} ({}) exited while it was created, with {}", id, settings.name(), exitedMeanwhile.get().code());
            }
            endCreate(id);
            log.info("Created container {} ({}) in pod {}", id, settings.name(), sandbox.id());
            return id;
        } catch (IOException e) {
            undoCreate(handler.backend(), id, name, recorded);
            throw new UncheckedIOException("cannot write the bundle of container " + id + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            undoCreate(handler.backend(), id, name, recorded);
            throw e;
        } finally {
            creating.computeIfPresent(image.id(), (k, n) -> n == 1 ? null : n - 1);
        }
    }

    private void undoCreate(RuntimeBackend backend, String id, String name, boolean recorded) {
        try {
            if (recorded) {
                backend.removeContainer(id);
            }
        } catch (RuntimeException e) {
            log.warn("Cleaning up failed container {}: {}", id, e.getMessage());
        }
        try {
            bundles.remove(id);
        } catch (RuntimeException e) {
            log.warn("Cleaning up bundle of failed container {}: {}", id, e.getMessage());
        }
        containers.find(id).ifPresent(containers::remove);
        containers.releaseName(name, id);
        endCreate(id);
    }

    /** The container's creation is over; a mark left behind only makes the next start roll it back. */
    private void endCreate(String id) {
        try {
            containers.endCreate(id);
        } catch (UncheckedIOException e) {
            log.warn("Container {}: {}", id, e.getMessage());
        }
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
            execBases.remove(c.id());
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

    /**
     * The container, which must be running (Exec, Attach).
     *
     * @throws BackendException NOT_FOUND if unknown, FAILED_PRECONDITION if not running
     */
    public Container running(String idOrPrefix) {
        Container c = containers.resolve(idOrPrefix, "container_id");
        if (!c.running()) {
            throw BackendException.failedPrecondition("container_id: container %s is not running", c.id());
        }
        return c;
    }

    /** Runs {@code command} (checked non-empty by the request converter) in the running container. */
    public ExecResult execSync(String idOrPrefix, List<String> command, Duration timeout) {
        Container c = running(idOrPrefix);
        Handler handler = handlerOf(c);
        if (!handler.supports(Capability.EXEC_SYNC)) {
            throw BackendException.unimplemented(handler.name(), "ExecSync");
        }
        return handler.backend().execSync(new ExecSpec(c.id(), command, timeout, false, ExecSpec.CRI_MAX_OUTPUT_BYTES,
                execProcess(c, command, false)));
    }

    /**
     * The container, which must be running and whose handler must offer {@code capability} (Exec,
     * Attach: checked when the URL is issued and again when the client connects).
     *
     * @throws BackendException NOT_FOUND, FAILED_PRECONDITION if not running, UNIMPLEMENTED naming handler and RPC
     */
    public Container streamable(String idOrPrefix, Capability capability, String rpc) {
        Container c = running(idOrPrefix);
        Handler handler = handlerOf(c);
        if (!handler.supports(capability)) {
            throw BackendException.unimplemented(handler.name(), rpc);
        }
        return c;
    }

    /** The exec's OCI process: the container's own process, read once, with {@code command} as its args. */
    private String execProcess(Container c, List<String> command, boolean tty) {
        return ExecProcesses.processJson(execBases.computeIfAbsent(c.id(), id -> ExecProcesses.containerProcess(bundles.bundle(id))),
                command, tty);
    }

    /**
     * Starts an interactive command in a running container for the streaming server (CRI
     * {@code Exec} once the client connected).
     *
     * @throws BackendException NOT_FOUND, FAILED_PRECONDITION if not running, UNIMPLEMENTED if the handler cannot
     */
    public StdioSession openExec(String id, List<String> command, StdioWiring stdio) {
        Container c = streamable(id, Capability.EXEC, "Exec");
        return backendOf(c).exec(new StreamExecSpec(c.id(), command, stdio,
                execProcess(c, command, stdio.tty())));
    }

    /**
     * Attaches to a running container's stdio for the streaming server (CRI {@code Attach} once the
     * client connected). Asking for stdin of a container created without stdin is FAILED_PRECONDITION.
     */
    public StdioSession openAttach(String id, StdioWiring stdio) {
        Container c = streamable(id, Capability.ATTACH, "Attach");
        return backendOf(c).attach(c.id(), stdio);
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
        Container c = running(idOrPrefix);
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
        if (inCreate.noteExit(id, status)) {
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
        return sandboxes.handler(c.sandboxId()).orElseThrow(() -> BackendException.failedPrecondition(
                "container %s: the runtime handler of its pod %s is not configured any more", c.id(), c.sandboxId()));
    }

    private Handler handlerOf(Sandbox s) {
        return sandboxes.handler(s.id()).orElseThrow(() -> BackendException.failedPrecondition(
                "pod_sandbox_id: the runtime handler '%s' of pod sandbox %s is not configured any more", s.handler(), s.id()));
    }

}
