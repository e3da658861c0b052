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
import io.crisp.core.oci.MountSettings;
import io.crisp.core.oci.OciSpecs;
import io.crisp.core.oci.PodFiles;
import io.crisp.core.oci.Signals;
import io.crisp.core.plugin.Handler;
import io.crisp.core.sandbox.Sandbox;
import io.crisp.core.sandbox.SandboxStore;
import io.crisp.core.state.CallsInFlight;
import io.crisp.core.state.Ids;
import io.crisp.core.state.KeyedLocks;
import io.crisp.spi.BackendException;
import io.crisp.spi.Capability;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.ContainerState;
import io.crisp.spi.model.ExitStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CreateContainer: the image's rootfs mounted, the OCI bundle written, the record put and the
 * backend's create, all under the new container's lock; anything that fails on the way is undone
 * before the error is returned. A creation mark is on disk meanwhile, so a restart after a killed
 * daemon rolls a half-made container back ({@link ContainerRecovery}).
 */
final class ContainerCreation {
    private static final Logger log = LoggerFactory.getLogger(ContainerCreation.class);

    private final SandboxStore sandboxes;
    private final ContainerStore containers;
    private final Bundles bundles;
    private final ImageService images;
    private final OciSpecs specs;
    private final KeyedLocks locks;
    private final ContainerEventListener events;
    private final CdiRegistry cdi;
    private final ImageVolumes volumes;
    private final CheckpointService checkpoints;
    /** Image ids of containers being created, which RemoveImage must not delete meanwhile. */
    private final Map<String, Integer> creating = new ConcurrentHashMap<>();
    /** Containers whose createContainer is in flight, with the exit a backend reported meanwhile. */
    private final CallsInFlight<ExitStatus> inCreate = new CallsInFlight<>();

    ContainerCreation(SandboxStore sandboxes, ContainerStore containers, Bundles bundles, ImageService images, OciSpecs specs,
            KeyedLocks locks, ContainerEventListener events, CdiRegistry cdi, ImageVolumes volumes, CheckpointService checkpoints) {
        this.sandboxes = sandboxes;
        this.containers = containers;
        this.bundles = bundles;
        this.images = images;
        this.specs = specs;
        this.locks = locks;
        this.events = events;
        this.cdi = cdi;
        this.volumes = volumes;
        this.checkpoints = checkpoints;
    }

    /** Whether a container is being created from the image. */
    boolean creatingFrom(String imageId) {
        return creating.containsKey(imageId);
    }

    /**
     * Keeps an exit a backend reported while the container's create is in flight; true if it is, and
     * the create applies the exit when the backend returns.
     */
    boolean noteExit(String id, ExitStatus status) {
        return inCreate.noteExit(id, status);
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
    String create(String podSandboxId, ContainerSettings settings) {
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
                containers.put(ContainerService.applyExit(created, exitedMeanwhile.get()));
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

    private Handler handlerOf(Sandbox s) {
        return sandboxes.handler(s.id()).orElseThrow(() -> BackendException.failedPrecondition(
                "pod_sandbox_id: the runtime handler '%s' of pod sandbox %s is not configured any more", s.handler(), s.id()));
    }
}
