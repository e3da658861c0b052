package io.crisp.core.daemon;

import static java.util.Objects.requireNonNull;

import io.crisp.core.container.ContainerService;
import io.crisp.core.metrics.RuntimeMetrics;
import io.crisp.core.sandbox.Sandbox;
import io.crisp.core.sandbox.SandboxService;
import io.crisp.core.sandbox.SandboxStore;
import io.crisp.core.stream.StreamBridge;
import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.model.ExitStatus;

/**
 * Routes the exits and OOM kills the backends report (through {@code runtime.EventRouter}) to the
 * container and sandbox stores, which publish the lifecycle events: an exit is a container's if the
 * container service knows the id, else the pod's infra process; then the streaming sessions of that id
 * end. An OOM kill marks the container and is counted per runtime handler (when metrics are on).
 */
final class BackendExitRouter implements ContainerEventSink {
    private final ContainerService containers;
    private final SandboxService sandboxes;
    private final SandboxStore sandboxStore;
    private final RuntimeMetrics metrics;
    private volatile StreamBridge streams;

    /** @param metrics where OOM kills are counted; null: nowhere */
    BackendExitRouter(ContainerService containers, SandboxService sandboxes, SandboxStore sandboxStore, RuntimeMetrics metrics) {
        this.containers = requireNonNull(containers, "containers is null");
        this.sandboxes = requireNonNull(sandboxes, "sandboxes is null");
        this.sandboxStore = requireNonNull(sandboxStore, "sandboxStore is null");
        this.metrics = metrics;
    }

    /** Once streaming has started: exits end the sessions of the container or pod from then on. */
    void endStreamsThrough(StreamBridge bridge) {
        streams = requireNonNull(bridge, "bridge is null");
    }

    @Override
    public void exited(String id, ExitStatus status) {
        if (!containers.exited(id, status)) {
            sandboxes.infraExited(id);
        }
        StreamBridge bridge = streams;
        if (bridge != null) {
            bridge.containerStopped(id);
            bridge.sandboxStopped(id);
        }
    }

    @Override
    public void oomKilled(String id) {
        containers.oomKilled(id);
        if (metrics != null) {
            metrics.oomKilled(containers.store().find(id).flatMap(c -> sandboxStore.find(c.sandboxId()))
                    .map(Sandbox::handler).orElse(""));
        }
    }
}
