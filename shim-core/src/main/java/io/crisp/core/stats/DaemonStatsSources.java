package io.crisp.core.stats;

import io.crisp.core.bundle.Bundles;
import io.crisp.core.container.Container;
import io.crisp.core.container.ContainerStore;
import io.crisp.core.network.NetnsDialer;
import io.crisp.core.network.PodNetworking;
import io.crisp.core.oci.NamespaceMode;
import io.crisp.core.plugin.Handler;
import io.crisp.core.sandbox.Sandbox;
import io.crisp.core.sandbox.SandboxStore;
import io.crisp.spi.Capability;
import io.crisp.spi.RuntimeBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Optional;

/**
 * The daemon's stores, handlers, snapshots and pod namespaces as the collector's sources. A pod's
 * {@code /proc/net/dev} is read by a thread inside its network namespace: {@code /proc/thread-self}
 * shows the namespace of the reading thread, not the daemon's.
 */
public final class DaemonStatsSources implements StatsCollector.Sources, AutoCloseable {
    private static final Path THREAD_NET_DEV = Path.of("/proc/thread-self/net/dev");

    private final SandboxStore sandboxes;
    private final ContainerStore containers;
    private final Bundles bundles;
    private final PodNetworking networking;
    /** A dialer of its own, so reading counters never delays a port-forward. */
    private final NetnsDialer namespaces = new NetnsDialer();

    public DaemonStatsSources(SandboxStore sandboxes, ContainerStore containers, Bundles bundles, PodNetworking networking) {
        this.sandboxes = sandboxes;
        this.containers = containers;
        this.bundles = bundles;
        this.networking = networking;
    }

    @Override
    public Collection<Container> runningContainers() {
        return containers.all().stream().filter(Container::running).toList();
    }

    @Override
    public Collection<Sandbox> readySandboxes() {
        return sandboxes.all().stream().filter(s -> s.state() == Sandbox.State.READY).toList();
    }

    @Override
    public Optional<RuntimeBackend> statsBackend(String sandboxId) {
        return sandboxes.handler(sandboxId).filter(h -> h.supports(Capability.STATS)).map(Handler::backend);
    }

    @Override
    public ContainerFigures.LayerFigures writableLayer(String containerId) {
        long at = StatsCollector.epochNanos();
        Bundles.WritableLayer layer = bundles.writableLayer(containerId);
        return new ContainerFigures.LayerFigures(layer.directory().toString(), at, layer.bytes(), layer.inodes());
    }

    @Override
    public Optional<String> procNetDev(Sandbox sandbox) throws IOException {
        if (sandbox.settings().networkMode() == NamespaceMode.NODE) {
            return Optional.empty();
        }
        Optional<Path> netns = networking.namespaceOf(sandbox.id());
        if (netns.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(namespaces.inNamespace(netns.get(), () -> Files.readString(THREAD_NET_DEV)));
    }

    @Override
    public void close() {
        namespaces.close();
    }
}
