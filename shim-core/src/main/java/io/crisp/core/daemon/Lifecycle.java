package io.crisp.core.daemon;

import io.crisp.core.bundle.Bundles;
import io.crisp.core.cdi.CdiRegistry;
import io.crisp.core.config.CrispConfig;
import io.crisp.core.container.ContainerService;
import io.crisp.core.container.ContainerStore;
import io.crisp.core.events.ContainerEvents;
import io.crisp.core.image.ImageService;
import io.crisp.core.image.snapshot.SnapshotService;
import io.crisp.core.metrics.RuntimeMetrics;
import io.crisp.core.metrics.state.StateGauges;
import io.crisp.core.network.NetworkNamespaces;
import io.crisp.core.network.PinnedNamespaces;
import io.crisp.core.network.PodNetworking;
import io.crisp.core.network.cni.CniNetwork;
import io.crisp.core.oci.CgroupDriver;
import io.crisp.core.oci.OciSpecs;
import io.crisp.core.runtime.DaemonState;
import io.crisp.core.runtime.EventRouter;
import io.crisp.core.sandbox.SandboxService;
import io.crisp.core.sandbox.SandboxStore;
import io.crisp.core.state.KeyedLocks;
import io.crisp.core.stats.DaemonStatsSources;
import io.crisp.core.stats.StatsCollector;
import io.crisp.core.stream.Streaming;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.Set;

/**
 * The pod and container services wired together: stores under {@code <root>/pods} and
 * {@code <root>/containers}, rootfs snapshots under {@code <root>/snapshots}, bundles under
 * {@code <state>/bundles}, pod network namespaces under {@code <state>/netns} (the IPC and UTS ones of pods
 * without an infra process under {@code <state>/podns}), CNI results under
 * {@code <root>/cni/results}. {@link #start} also recovers what a previous daemon left: records are
 * adopted, each backend is asked what happened meanwhile, and files no record names are removed.
 * The streaming server starts last; a container's or pod's exit ends its streaming sessions. The
 * stats collector starts after recovery, so its first round sees the recovered containers.
 * {@code events} is the hub the services publish container lifecycle events to.
 */
public record Lifecycle(SandboxService sandboxes, ContainerService containers, Bundles bundles, PodNetworking networking,
        Streaming streaming, ContainerEvents events, StatsCollector stats,
        DaemonStatsSources statsSources)
        implements AutoCloseable {
    public static Lifecycle start(DaemonState state, CrispConfig config, ImageService images, EventRouter events) {
        return start(state, config, images, events, null);
    }

    /** As {@link #start(DaemonState, CrispConfig, ImageService, EventRouter)}, counting pods, containers and OOM kills into {@code metrics} (none when null). */
    public static Lifecycle start(DaemonState state, CrispConfig config, ImageService images, EventRouter events, RuntimeMetrics metrics) {
        Bundles bundles = new Bundles(config.state(), new SnapshotService(config.root().resolve("snapshots")), images.layers());
        KeyedLocks locks = new KeyedLocks();
        SandboxStore sandboxStore = new SandboxStore(config.root().resolve("pods"));
        ContainerStore containerStore = new ContainerStore(config.root().resolve("containers"));
        ContainerEvents lifecycleEvents = new ContainerEvents(sandboxStore, containerStore);
        OciSpecs specs = new OciSpecs(config.cgroupDriver().equals("systemd") ? CgroupDriver.SYSTEMD : CgroupDriver.CGROUPFS);
        ContainerService containers = new ContainerService(sandboxStore, containerStore, bundles, images, specs, locks,
                lifecycleEvents, new CdiRegistry(config.cdiSpecDirs()), config.root().resolve("volumes"),
                config.root().resolve("checkpoints"));
        PodNetworking networking = new PodNetworking(new NetworkNamespaces(config.state().resolve("netns")),
                new CniNetwork(config.cniConfDir(), config.cniBinDirs(), config.root().resolve("cni").resolve("results")), state.node());
        PinnedNamespaces pins = new PinnedNamespaces(config.state().resolve("podns"));
        SandboxService sandboxes = new SandboxService(state, sandboxStore, containers, bundles, images, specs, locks, networking, lifecycleEvents,
                pins);
        images.usedBy(imageId -> containers.usesImage(imageId) || sandboxes.usesImage(imageId));
        BackendExitRouter exits = new BackendExitRouter(containers, sandboxes, sandboxStore, metrics);
        events.deliverTo(exits);
        if (metrics != null) {
            StateGauges.register(metrics, sandboxStore::all, containers.store()::all, () -> state.handlers().table().handlers().keySet());
        }
        // The streaming server binds while the records are recovered: no URL of it is handed out before the CRI socket serves.
        StartStep<Streaming> streamingStarted = StartStep.begin("streaming", () -> {
            try {
                return Streaming.start(config, containers, sandboxes);
            } catch (IOException e) {
                throw new UncheckedIOException(e.getMessage(), e);
            }
        });
        Streaming streaming;
        try {
            sandboxes.recover();
            containers.recover();
            Set<String> known = new HashSet<>();
            sandboxStore.all().forEach(s -> known.add(s.id()));
            containers.store().all().forEach(c -> known.add(c.id()));
            bundles.removeLeftovers(known);
            containers.removeVolumeLeftovers(sandboxStore.all().stream().map(s -> s.id()).collect(java.util.stream.Collectors.toSet()));
            networking.removeLeftovers(known);
            removeLeftoverPins(pins, known);
            streaming = streamingStarted.join();
        } catch (RuntimeException | Error e) {
            streamingStarted.settle();
            streamingStarted.closeIfMade(Streaming::close);
            networking.close();
            throw e;
        }
        exits.endStreamsThrough(streaming.bridge());
        DaemonStatsSources statsSources = new DaemonStatsSources(sandboxStore, containers.store(), bundles, networking);
        StatsCollector stats = new StatsCollector(statsSources, config.statsCollectPeriod(), StatsCollector::epochNanos);
        stats.start();
        return new Lifecycle(sandboxes, containers, bundles, networking, streaming, lifecycleEvents, stats, statsSources);
    }

    /** Stops collecting stats, ends event subscriptions, stops streaming and watching the CNI config directory. Pods and their networks stay. */
    @Override
    public void close() {
        stats.close();
        statsSources.close();
        events.close();
        streaming.close();
        networking.close();
    }

    /** Pinned pod namespaces whose pod is gone (a crash between pinning and recording it). */
    private static void removeLeftoverPins(PinnedNamespaces pins, Set<String> known) {
        for (String id : pins.list()) {
            if (!known.contains(id)) {
                try {
                    pins.remove(id);
                } catch (RuntimeException e) {
                    org.slf4j.LoggerFactory.getLogger(Lifecycle.class).warn("Cannot remove the pinned namespaces of {}: {}", id, e.getMessage());
                }
            }
        }
    }
}
