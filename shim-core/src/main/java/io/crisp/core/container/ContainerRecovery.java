package io.crisp.core.container;

import io.crisp.core.bundle.Bundles;
import io.crisp.core.plugin.Handler;
import io.crisp.core.sandbox.SandboxStore;
import io.crisp.core.state.Ids;
import io.crisp.core.state.KeyedLocks;
import io.crisp.spi.BackendException;
import io.crisp.spi.model.ContainerState;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a restarted daemon does with the container records a previous one left: adopts them, rolls
 * back the containers whose CreateContainer was cut short (their creation mark is still there:
 * nobody was told their id), and asks the backend what happened to the others meanwhile (exits,
 * starts a killed StartContainer made, containers the runtime no longer knows).
 */
final class ContainerRecovery {
    private static final Logger log = LoggerFactory.getLogger(ContainerRecovery.class);

    private final SandboxStore sandboxes;
    private final ContainerStore containers;
    private final Bundles bundles;
    private final KeyedLocks locks;

    ContainerRecovery(SandboxStore sandboxes, ContainerStore containers, Bundles bundles, KeyedLocks locks) {
        this.sandboxes = sandboxes;
        this.containers = containers;
        this.bundles = bundles;
        this.locks = locks;
    }

    void recover() {
        Set<String> halfMade = containers.pendingCreates();
        Map<String, Container> records = containers.load();
        for (String id : halfMade) {
            if (!records.containsKey(id)) {
                endCreate(id); // killed before its record: no backend call yet; its rootfs and bundle go with the leftovers
            }
        }
        for (Container c : records.values()) {
            containers.adopt(c);
            if (halfMade.contains(c.id()) && rollBack(c)) {
                continue;
            }
            if (c.state() != Container.State.EXITED) {
                locks.run(c.id(), () -> refresh(c.id()));
            }
        }
    }

    private void refresh(String id) {
        Container latest = containers.find(id).orElseThrow();
        if (latest.state() == Container.State.CREATED && java.nio.file.Files.isDirectory(bundles.bundle(id).resolve(CheckpointArchive.IMAGES))) {
            return; // created from a checkpoint: the backend knows it only once StartContainer restored it
        }
        Optional<Handler> handler = sandboxes.handler(latest.sandboxId());
        if (handler.isEmpty()) {
            containers.put(latest.withState(Container.State.UNKNOWN));
            return;
        }
        try {
            ContainerState state = handler.get().backend().containerState(id);
            if (state.phase() == ContainerState.Phase.EXITED && state.exit().isPresent()) {
                containers.put(ContainerService.applyExit(latest, state.exit().get()));
            } else if (state.phase() == ContainerState.Phase.RUNNING && latest.state() != Container.State.RUNNING) {
                containers.put(latest.started(state.startedAt().map(Ids::nanos).orElse(Ids.nowNanos()), state.pid().orElse(latest.pid())));
            }
        } catch (BackendException e) {
            if (e.kind() == BackendException.Kind.NOT_FOUND) {
                containers.put(latest.exited(Ids.nowNanos(), 255, "Error",
                        "the runtime no longer knows this container (was the node rebooted?)"));
            } else {
                log.warn("Cannot recover the state of container {}: {}", id, e.getMessage());
            }
        }
    }

    /**
     * Removes what was made of a half-created container (the backend's container and monitor,
     * rootfs, bundle, record, name). Returns false when the backend could not remove it: it then
     * stays listed, with its state asked as for any other, for RemoveContainer to retry.
     */
    private boolean rollBack(Container c) {
        log.info("Container {}: its creation was cut short by a restart; removing what was made of it", c.id());
        Optional<Handler> handler = sandboxes.handler(c.sandboxId());
        try {
            if (handler.isPresent()) {
                handler.get().backend().removeContainer(c.id());
            }
            bundles.remove(c.id());
            containers.remove(c);
            return true;
        } catch (RuntimeException e) {
            log.warn("Container {}: cannot remove its half-made parts ({}); it stays listed", c.id(), e.getMessage());
            return false;
        } finally {
            endCreate(c.id());
        }
    }

    private void endCreate(String id) {
        try {
            containers.endCreate(id);
        } catch (UncheckedIOException e) {
            log.warn("Container {}: {}", id, e.getMessage());
        }
    }
}
