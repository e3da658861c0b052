package io.crisp.core.sandbox;

import io.crisp.core.bundle.Bundles;
import io.crisp.core.network.PinnedNamespaces;
import io.crisp.core.network.PodNetworking;
import io.crisp.core.oci.NamespaceMode;
import io.crisp.core.plugin.Handler;
import io.crisp.spi.BackendException;
import io.crisp.spi.model.SandboxState;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a restarted daemon does with the pod records a previous one left: adopts them, binds each to
 * its handler, asks the backend whether a READY pod's infra process still runs, and settles the pods
 * whose RunPodSandbox was cut short (their creation mark is still there). Such a pod is finished when
 * its record is complete, its backend reports it ready and its network namespace is pinned; otherwise
 * everything of it is taken down (infra process and its monitor and cgroup through the backend, CNI
 * DEL and the namespace, rootfs mount, bundle, pod files) and its record and name go. A pod whose
 * StopPodSandbox was cut short (its stop mark is still there: its infra process may run while CNI DEL
 * already ran, the two run side by side) is stopped again, every step of a stop being idempotent.
 */
final class SandboxRecovery {
    private static final Logger log = LoggerFactory.getLogger(SandboxRecovery.class);

    private final SandboxDefaults state;
    private final SandboxStore store;
    private final Bundles bundles;
    private final PodNetworking networking;
    private final PinnedNamespaces pins;

    SandboxRecovery(SandboxDefaults state, SandboxStore store, Bundles bundles, PodNetworking networking, PinnedNamespaces pins) {
        this.pins = pins;
        this.state = state;
        this.store = store;
        this.bundles = bundles;
        this.networking = networking;
    }

    void recover() {
        Set<String> halfMade = store.pendingCreates();
        Set<String> stopping = store.pendingStops();
        Map<String, Sandbox> records = store.load();
        for (Sandbox s : records.values()) {
            store.adopt(s);
            Handler handler = state.handlerTable().handlers().get(s.handler());
            if (handler == null || !handler.retain()) {
                log.warn("Pod sandbox {} runs on handler '{}', which is not configured; it can only be listed", s.id(), s.handler());
                if (s.state() == Sandbox.State.READY) {
                    store.put(s.withState(Sandbox.State.NOT_READY, s.pid()));
                }
                continue;
            }
            store.bind(s.id(), handler);
            if (halfMade.contains(s.id())) {
                settle(s, handler);
            } else if (stopping.contains(s.id())) {
                stopAgain(s, handler);
            } else if (s.state() == Sandbox.State.READY) {
                check(s, handler);
            }
        }
        for (String id : halfMade) {
            if (!records.containsKey(id)) {
                // killed before the record was written: no backend call was made yet; its files,
                // mounts and network namespace belong to no record and go with the leftovers
                store.endCreate(id);
            }
        }
        for (String id : stopping) {
            if (!records.containsKey(id)) {
                store.endStop(id); // the pod went (a RemovePodSandbox after a failed stop ends the mark; a kill may cut that short)
            }
        }
    }

    /** A pod whose stop was cut short: stopped again as StopPodSandbox does (its containers were stopped before the mark). */
    private void stopAgain(Sandbox s, Handler handler) {
        try {
            handler.backend().stopSandbox(s.id(), Duration.ZERO);
            if (s.settings().networkMode() != NamespaceMode.NODE) {
                networking.detach(s.id());
            }
            if (!s.hasInfra()) {
                pins.remove(s.id());
            }
            store.put(s.withState(Sandbox.State.NOT_READY, s.pid()).withNetwork(Sandbox.NO_NETWORK));
            store.endStop(s.id());
            log.info("Pod sandbox {}: its stop was cut short by a restart; stopped it again", s.id());
        } catch (RuntimeException e) {
            log.warn("Pod sandbox {}: its stop was cut short by a restart and cannot be done again ({}); it stays marked"
                    + " for StopPodSandbox to retry", s.id(), e.getMessage());
            if (s.state() == Sandbox.State.READY) {
                check(s, handler);
            }
        }
    }

    private void check(Sandbox s, Handler handler) {
        boolean netnsGone = s.settings().networkMode() != NamespaceMode.NODE && networking.namespaceOf(s.id()).isEmpty();
        if (!s.hasInfra() && (!namespacesPinned(s) || netnsGone)) {
            log.warn("Pod sandbox {}: its pinned namespaces are gone (the node rebooted?); marking it not ready", s.id());
            store.put(s.withState(Sandbox.State.NOT_READY, s.pid()));
            return;
        }
        try {
            SandboxState now = handler.backend().sandboxState(s.id());
            if (!now.ready()) {
                store.put(s.withState(Sandbox.State.NOT_READY, s.pid()));
            }
        } catch (BackendException e) {
            log.warn("Pod sandbox {}: its backend does not know it ({}); marking it not ready", s.id(), e.getMessage());
            store.put(s.withState(Sandbox.State.NOT_READY, s.pid()));
        }
    }

    /** Whether the IPC and UTS namespaces of a pod without an infra process are pinned (its network namespace is checked apart). */
    private boolean namespacesPinned(Sandbox s) {
        return pins.exists(s.id(), s.pinned().ipc() != null, s.pinned().uts() != null);
    }

    /** A pod whose RunPodSandbox was cut short: finished if all of it is there, otherwise rolled back. */
    private void settle(Sandbox s, Handler handler) {
        boolean ownNetwork = s.settings().networkMode() != NamespaceMode.NODE;
        // the record has the network once CNI ADD (run beside the backend's start) is over
        boolean complete = (s.hasInfra() ? !s.pauseImageId().isEmpty() : namespacesPinned(s))
                && (!ownNetwork || (networking.namespaceOf(s.id()).isPresent() && !s.network().networkName().isEmpty()));
        if (complete) {
            try {
                SandboxState now = handler.backend().sandboxState(s.id());
                if (now.ready() && (!s.hasInfra() || now.pid().orElse(0) > 0)) {
                    store.put(s.withState(Sandbox.State.READY, now.pid().orElse(0)));
                    store.endCreate(s.id());
                    log.info("Pod sandbox {}: its start was cut short by a restart, but {}; it is ready", s.id(),
                            s.hasInfra() ? "its infra process (pid " + now.pid().getAsLong() + ") runs" : "its namespaces are pinned");
                    return;
                }
            } catch (BackendException e) {
                log.debug("Pod sandbox {}: its backend does not know it: {}", s.id(), e.getMessage());
            }
        }
        log.info("Pod sandbox {}: its start was cut short by a restart; removing what was made of it", s.id());
        boolean backendGone = true;
        try {
            handler.backend().removeSandbox(s.id());
        } catch (RuntimeException e) {
            backendGone = false;
            log.warn("Pod sandbox {}: the backend could not remove its half-started infra process ({}); it stays listed as not ready"
                    + " for RemovePodSandbox to retry", s.id(), e.getMessage());
        }
        if (ownNetwork) {
            try {
                networking.detach(s.id());
            } catch (RuntimeException e) {
                log.warn("Pod sandbox {}: cannot take down its network: {}", s.id(), e.getMessage());
            }
        }
        try {
            pins.remove(s.id());
        } catch (RuntimeException e) {
            log.warn("Pod sandbox {}: cannot remove its pinned namespaces: {}", s.id(), e.getMessage());
        }
        if (!backendGone) {
            store.put(s.withState(Sandbox.State.NOT_READY, 0).withNetwork(Sandbox.NO_NETWORK));
            store.endCreate(s.id());
            return;
        }
        try {
            bundles.remove(s.id());
        } catch (RuntimeException e) {
            log.warn("Pod sandbox {}: cannot remove its files: {}", s.id(), e.getMessage());
        }
        store.remove(s).ifPresent(Handler::release);
        store.endCreate(s.id());
    }
}
