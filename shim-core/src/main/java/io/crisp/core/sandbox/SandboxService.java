package io.crisp.core.sandbox;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.core.CrispBuild;
import io.crisp.core.bundle.Bundles;
import io.crisp.core.events.api.ContainerEventListener;
import io.crisp.core.events.api.ContainerEventType;
import io.crisp.core.image.ImageRecord;
import io.crisp.core.image.ImageService;
import io.crisp.core.image.ref.RegistryCredentials;
import io.crisp.core.network.PinnedNamespaces;
import io.crisp.core.network.PodNetworking;
import io.crisp.core.network.cni.PodNetworkStatus;
import io.crisp.core.oci.NamespaceMode;
import io.crisp.core.oci.OciSpecs;
import io.crisp.core.oci.PodFiles;
import io.crisp.core.oci.PodNamespacePaths;
import io.crisp.core.oci.PodSettings;
import io.crisp.core.plugin.Handler;
import io.crisp.core.state.BesideWork;
import io.crisp.core.state.CallsInFlight;
import io.crisp.core.state.IdPrefixes;
import io.crisp.core.state.Ids;
import io.crisp.core.state.KeyedLocks;
import io.crisp.spi.BackendException;
import io.crisp.spi.Capability;
import io.crisp.spi.model.SandboxSpec;
import io.crisp.spi.model.SandboxState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pod sandboxes: chooses the handler for a new pod, prepares the infra process's bundle from the
 * pause image, and hands it to the backend; stops and removes pods with their containers. Every
 * change runs under the pod's lock and is on disk before the call returns; reads answer from memory.
 */
public final class SandboxService {
    private static final Logger log = LoggerFactory.getLogger(SandboxService.class);
    /** How long the infra process gets after its stop signal; it holds no data worth waiting for. */
    private static final Duration INFRA_STOP_TIMEOUT = Duration.ZERO;

    private final SandboxDefaults state;
    private final SandboxStore store;
    private final PodContainers containers;
    private final Bundles bundles;
    private final ImageService images;
    private final OciSpecs specs;
    private final KeyedLocks locks;
    private final PodNetworking networking;
    /** IPC and UTS namespaces of pods without an infra process. */
    private final PinnedNamespaces pins;
    /** Pods whose runSandbox is in flight, and whether their infra process exited meanwhile. */
    private final CallsInFlight<Boolean> running = new CallsInFlight<>();
    /** CNI ADD and DEL beside the infra process's start and stop: it needs only the pinned netns's path, DEL only the pin. */
    private final BesideWork beside = new BesideWork("crisp-pod-network", 4);
    /** Told of the pod's own transitions, with the sandbox id as container id (as containerd does). */
    private final ContainerEventListener events;

    public SandboxService(SandboxDefaults state, SandboxStore store, PodContainers containers, Bundles bundles, ImageService images,
            OciSpecs specs, KeyedLocks locks, PodNetworking networking, ContainerEventListener events, PinnedNamespaces pins) {
        this.pins = pins;
        this.events = events;
        this.networking = networking;
        this.state = state;
        this.store = store;
        this.containers = containers;
        this.bundles = bundles;
        this.images = images;
        this.specs = specs;
        this.locks = locks;
    }

    /** Answers from memory; never touches disk or a backend. */
    public List<Sandbox> listPodSandbox(SandboxFilter filter) {
        return store.list(filter);
    }

    /** The store's version: changes whenever a sandbox does. */
    public long version() {
        return store.version();
    }

    public Sandbox status(String idOrPrefix) {
        return store.resolve(idOrPrefix, "pod_sandbox_id");
    }

    public boolean usesImage(String imageId) {
        return store.all().stream().anyMatch(s -> s.pauseImageId().equals(imageId));
    }

    /** Returns the new sandbox's id. */
    public String runPodSandbox(PodSandboxRequest request) {
        Handler handler = state.handlerTable().resolve(request.runtimeHandler());
        handler.admitPod(); // UNAVAILABLE while the handler is not ready (its plugin failed or its calls keep failing)
        if (!handler.supports(Capability.POD_LIFECYCLE)) {
            throw new BackendException(BackendException.Kind.UNIMPLEMENTED, String.format(
                    "RunPodSandbox: handler '%s' (plugin '%s' %s) cannot run pods: it does not offer the pod lifecycle in crisp %s",
                    handler.name(), handler.plugin().id(), handler.plugin().version(), CrispBuild.VERSION));
        }
        if (!handler.retain()) {
            throw BackendException.unavailable("runtime_handler: handler '%s' was just replaced by a reload; retry", handler.name());
        }
        String id = Ids.random();
        // The whole run holds the pod's lock: a Stop or Remove of the pod (it is listed as NOT_READY
        // meanwhile) waits until the backend has started it, as containerd and CRI-O serialise per pod.
        return locks.with(id, () -> runLocked(id, handler, request));
    }

    private String runLocked(String id, Handler handler, PodSandboxRequest request) {
        // Without an infra process when the containers do not share one PID namespace (CRI-O's drop_infra_ctr).
        boolean infra = request.settings().pidMode() == NamespaceMode.POD || !handler.podsWithoutInfra();
        Sandbox sandbox = null;
        boolean reserved = false;
        Sandbox draft = new Sandbox(id, request.pod(), Sandbox.State.NOT_READY, Ids.nowNanos(), request.labels(), request.annotations(),
                handler.name(), request.settings(), request.logDirectory(), 0, "", request.portMappings(), Sandbox.NO_NETWORK);
        boolean ownNetwork = request.settings().networkMode() != NamespaceMode.NODE;
        boolean networked = false;
        BesideWork.Task<PodNetworkStatus> wiring = null;
        try {
            store.reserve(draft);
            reserved = true;
            store.beginCreate(id); // a daemon killed from here on leaves a mark: the restart finishes or undoes the pod
            ImageRecord pause = infra ? images.status(state.pauseImage()).orElseGet(() -> pullPause(state.pauseImage())) : null;
            PodFiles files = PodFiles.write(bundles.podFiles(id), request.settings(), request.hostname());
            Path netns = null;
            if (ownNetwork) {
                netns = networking.pin(id);
                networked = true;
                wiring = wire(id, netns, request, !infra || handler.supports(Capability.LATE_POD_NETWORK));
            }
            Path rootfs = infra ? bundles.mountRootfs(id, pause) : null;
            Path bundle = bundles.bundle(id);
            String cgroupsPath = "";
            PodNamespacePaths pinned = null;
            if (infra) {
                ObjectNode spec = specs.sandbox(id, request.settings(), pause.config(), rootfs, files, netns);
                List<String> dropped = handler.specRules().applyToSandbox(spec, request.annotations().keySet());
                if (!dropped.isEmpty()) {
                    log.debug("Pod sandbox {}: annotations {} are not in handler '{}''s pod_annotations; left out of its spec", id, dropped,
                            handler.name());
                }
                OciSpecs.write(bundle, spec);
                cgroupsPath = spec.path("linux").path("cgroupsPath").asText("");
            } else {
                pinned = pin(id, request.settings(), netns);
            }
            // Recorded without its network until CNI ADD is over: a restart finishes only a pod whose record has it.
            sandbox = new Sandbox(id, request.pod(), Sandbox.State.NOT_READY, draft.createdAtNanos(), request.labels(), request.annotations(),
                    handler.name(), request.settings(), request.logDirectory(), 0, infra ? pause.id() : "", request.portMappings(),
                    Sandbox.NO_NETWORK, pinned);
            store.put(sandbox);
            store.bind(id, handler);
            SandboxState started;
            boolean exitedMeanwhile;
            running.begin(id);
            try {
                started = handler.backend().runSandbox(new SandboxSpec(id, request.pod(), bundle, Optional.ofNullable(netns),
                        request.logDirectory().isEmpty() ? Optional.empty() : Optional.of(Path.of(request.logDirectory())),
                        request.labels(), request.annotations(), cgroupsPath, infra));
            } finally {
                exitedMeanwhile = running.finish(id).isPresent();
            }
            PodNetworkStatus network = wiring == null ? Sandbox.NO_NETWORK : wiring.join();
            Sandbox ready = sandbox.withState(Sandbox.State.READY, started.pid().orElse(0)).withNetwork(network);
            store.put(ready);
            events.changed(ContainerEventType.CREATED, id, id);
            events.changed(ContainerEventType.STARTED, id, id);
            if (exitedMeanwhile) {
                store.put(ready.withState(Sandbox.State.NOT_READY, ready.pid()));
                events.changed(ContainerEventType.STOPPED, id, id);
                log.info("Infra process of pod sandbox {} exited while it started; the pod is not ready", id);
            }
            endCreate(id);
            log.info("Pod sandbox {} ({}/{}) ready on handler '{}', {}", id, request.pod().namespace(), request.pod().name(),
                    handler.name(), infra ? "infra pid " + ready.pid() : "no infra process (namespaces pinned)");
            return id;
        } catch (IOException e) {
            RuntimeException failure = new UncheckedIOException("cannot prepare pod sandbox " + id + ": " + e.getMessage(), e);
            throw undoRun(handler, id, draft, sandbox, reserved, networked, wiring == null ? failure : wiring.firstOver(failure));
        } catch (RuntimeException e) {
            throw undoRun(handler, id, draft, sandbox, reserved, networked, wiring == null ? e : wiring.firstOver(e));
        }
    }

    /**
     * CNI ADD for the pod, beside the rest of its start when the backend's infra process needs only the
     * namespace's path ({@code overlap}: LATE_POD_NETWORK, or no infra process); first, on this thread,
     * otherwise or when a net.* sysctl may name an interface CNI makes.
     */
    private BesideWork.Task<PodNetworkStatus> wire(String id, Path netns, PodSandboxRequest request, boolean overlap) {
        if (!overlap || request.settings().sysctls().keySet().stream().anyMatch(k -> k.startsWith("net."))) {
            return BesideWork.done(networking.wire(id, netns, request.settings(), request.portMappings()));
        }
        return beside.start(() -> networking.wire(id, netns, request.settings(), request.portMappings()));
    }

    /** Pins the IPC and UTS namespaces of a pod without an infra process, with its hostname and sysctls applied. */
    private PodNamespacePaths pin(String id, PodSettings pod, Path netns) {
        boolean ownNetwork = pod.networkMode() != NamespaceMode.NODE;
        boolean ownIpc = pod.ipcMode() != NamespaceMode.NODE;
        PinnedNamespaces.Pins made = pins.create(id, new PinnedNamespaces.Request(ownIpc, ownNetwork, pod.hostname(), pod.sysctls(), netns));
        return new PodNamespacePaths(netns == null ? null : netns.toString(), made.ipc() == null ? null : made.ipc().toString(),
                made.uts() == null ? null : made.uts().toString(), null);
    }

    private ImageRecord pullPause(String pauseImage) {
        try {
            return images.pull(pauseImage, RegistryCredentials.anonymous(), Optional.empty());
        } catch (BackendException e) {
            throw new BackendException(e.kind(), "pause image " + pauseImage + " (pause_image) is not present and cannot be pulled: "
                    + e.getMessage() + "; import it or point pause_image at an image the node has", e);
        }
    }

    /** Undoes what a failed run made (after its CNI ADD ended); returns {@code failure}, for the caller to throw. */
    private RuntimeException undoRun(Handler handler, String id, Sandbox draft, Sandbox sandbox, boolean reserved, boolean networked,
            RuntimeException failure) {
        if (sandbox != null) {
            try {
                handler.backend().removeSandbox(id);
            } catch (RuntimeException e) {
                log.warn("Cleaning up failed pod sandbox {}: {}", id, e.getMessage());
            }
        }
        try {
            pins.remove(id);
        } catch (RuntimeException e) {
            log.warn("Cleaning up the namespaces of failed pod sandbox {}: {}", id, e.getMessage());
        }
        if (networked) {
            try {
                networking.detach(id);
            } catch (RuntimeException e) {
                log.warn("Cleaning up the network of failed pod sandbox {}: {}", id, e.getMessage());
            }
        }
        try {
            bundles.remove(id);
        } catch (RuntimeException e) {
            log.warn("Cleaning up files of failed pod sandbox {}: {}", id, e.getMessage());
        }
        if (sandbox != null) {
            store.remove(sandbox);
        } else if (reserved) {
            store.releaseName(draft);
        }
        if (reserved) {
            endCreate(id);
        }
        handler.release();
        return failure;
    }

    /** The pod's creation is over; a mark left behind only makes the next start check the pod again. */
    private void endCreate(String id) {
        try {
            store.endCreate(id);
        } catch (UncheckedIOException e) {
            log.warn("Pod sandbox {}: {}", id, e.getMessage());
        }
    }

    /**
     * Where port-forward connections to a ready pod go: its pinned network namespace, or empty
     * for a hostNetwork pod (the host's loopback).
     *
     * @throws BackendException NOT_FOUND if unknown, FAILED_PRECONDITION if not ready or its namespace is gone
     */
    public Optional<Path> portForwardNamespace(String idOrPrefix) {
        Sandbox s = status(idOrPrefix);
        if (s.state() != Sandbox.State.READY) {
            throw BackendException.failedPrecondition("pod_sandbox_id: pod sandbox %s is not ready", s.id());
        }
        if (s.settings().networkMode() == NamespaceMode.NODE) {
            return Optional.empty();
        }
        return Optional.of(networking.namespaceOf(s.id()).orElseThrow(() -> BackendException.failedPrecondition(
                "pod sandbox %s has no network namespace any more", s.id())));
    }

    /**
     * Stops every container of the pod and its infra process; the pod stays listed as NOT_READY.
     * An unknown or already stopped pod is fine (CRI: idempotent).
     */
    public void stop(String idOrPrefix) {
        Optional<Sandbox> found = findForIdempotentCall(idOrPrefix);
        if (found.isEmpty()) {
            return;
        }
        String id = found.get().id();
        for (String containerId : containers.idsInSandbox(id)) {
            containers.stop(containerId, Duration.ZERO);
        }
        locks.run(id, () -> {
            Optional<Sandbox> now = store.find(id);
            if (now.isEmpty()) {
                return;
            }
            for (String containerId : containers.idsInSandbox(id)) {
                containers.stop(containerId, Duration.ZERO); // one a CreateContainer recorded meanwhile (it checks the pod under this lock)
            }
            store.beginStop(id); // a daemon killed from here on leaves a mark: the restart does the stop again
            boolean ownNetwork = now.get().settings().networkMode() != NamespaceMode.NODE;
            Optional<Handler> handler = store.handler(id);
            // CNI DEL beside the infra process's stop where the backend allows it (as at the start): DEL needs
            // the namespace pinned, which it stays until both are over
            boolean overlap = !now.get().hasInfra() || handler.map(h -> h.supports(Capability.LATE_POD_NETWORK)).orElse(false);
            BesideWork.Task<Void> unwiring = ownNetwork && overlap ? beside.start(() -> networking.unwire(id)) : null;
            try {
                handler.ifPresent(h -> h.backend().stopSandbox(id, INFRA_STOP_TIMEOUT));
            } catch (RuntimeException e) {
                throw unwiring == null ? e : unwiring.after(e);
            }
            if (ownNetwork) {
                if (unwiring != null) {
                    unwiring.join();
                }
                networking.detach(id); // DEL, unless it ran beside the stop, and the namespace
            }
            if (!now.get().hasInfra()) {
                pins.remove(id); // its IPC and UTS namespaces go as an infra process's would with its exit
            }
            if (now.get().state() != Sandbox.State.NOT_READY || !now.get().network().ip().isEmpty()) {
                store.put(now.get().withState(Sandbox.State.NOT_READY, now.get().pid()).withNetwork(Sandbox.NO_NETWORK));
                if (now.get().state() == Sandbox.State.READY) {
                    events.changed(ContainerEventType.STOPPED, id, id);
                }
                log.info("Pod sandbox {} stopped", id);
            }
            store.endStop(id);
        });
    }

    /** Removes the pod with whatever still runs in it. An unknown pod is fine (CRI: idempotent). */
    public void remove(String idOrPrefix) {
        Optional<Sandbox> found = findForIdempotentCall(idOrPrefix);
        if (found.isEmpty()) {
            return;
        }
        String id = found.get().id();
        for (String containerId : containers.idsInSandbox(id)) {
            containers.remove(containerId);
        }
        locks.run(id, () -> {
            Optional<Sandbox> now = store.find(id);
            if (now.isEmpty()) {
                return;
            }
            for (String containerId : containers.idsInSandbox(id)) {
                containers.remove(containerId); // one a CreateContainer recorded meanwhile (it checks the pod under this lock)
            }
            Optional<Handler> handler = store.handler(id);
            if (handler.isPresent()) {
                handler.get().backend().removeSandbox(id);
            }
            if (now.get().settings().networkMode() != NamespaceMode.NODE) {
                networking.detach(id);
            }
            pins.remove(id);
            bundles.remove(id);
            store.endStop(id); // a stop that failed and left its mark
            store.remove(now.get()).ifPresent(Handler::release);
            events.changed(ContainerEventType.DELETED, id, id);
            log.info("Pod sandbox {} removed", id);
        });
    }

    /** A backend saw a pod's infra process exit: the pod is no longer ready. */
    public void infraExited(String id) {
        if (store.find(id).isEmpty() || running.noteExit(id, Boolean.TRUE)) {
            return; // unknown, or its RunPodSandbox holds the lock and applies the exit when the backend returns
        }
        locks.run(id, () -> store.find(id).ifPresent(s -> {
            if (s.state() == Sandbox.State.READY) {
                store.put(s.withState(Sandbox.State.NOT_READY, s.pid()));
                events.changed(ContainerEventType.STOPPED, id, id);
                log.info("Infra process of pod sandbox {} exited; the pod is not ready", id);
            }
        }));
    }

    /**
     * After a restart: adopts the records on disk, binds each pod to its handler, checks the infra
     * processes, and finishes or rolls back the pods whose RunPodSandbox a killed daemon left half done.
     */
    public void recover() {
        new SandboxRecovery(state, store, bundles, networking, pins).recover();
    }

    private Optional<Sandbox> findForIdempotentCall(String idOrPrefix) {
        return IdPrefixes.orAbsent(() -> store.resolve(idOrPrefix, "pod_sandbox_id"));
    }
}
