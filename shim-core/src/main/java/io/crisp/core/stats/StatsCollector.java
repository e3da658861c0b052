package io.crisp.core.stats;

import static java.util.Objects.requireNonNull;

import io.crisp.core.container.Container;
import io.crisp.core.sandbox.Sandbox;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.model.ContainerStatsSample;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples, on one daemon thread every collection period, every running container and every ready
 * pod's infra process through its handler's backend (when the handler offers STATS), each pod's
 * network counters, and every {@value #LAYER_EVERY}th period each container's writable layer (a
 * directory walk, which can be slow). The stats RPCs answer from what it holds; only a running
 * container or ready pod the collector has not sampled yet (started since the last round) is sampled
 * on demand, so the first stats call after a start already carries CPU, memory and layer figures.
 *
 * <p>A failing backend, a namespace that cannot be entered or a layer that cannot be walked keeps
 * that object's previous figures (logged at debug) and does not stop the others. Entries of objects
 * that stopped running or went away are dropped after each round.
 */
public final class StatsCollector implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StatsCollector.class);
    /** Writable layers are measured every this many periods (and on a container's first). */
    static final int LAYER_EVERY = 10;

    /** Where the collector looks; the daemon's implementation is {@link DaemonStatsSources}. */
    public interface Sources {
        Collection<Container> runningContainers();

        Collection<Sandbox> readySandboxes();

        /** The backend of the pod's handler when it offers STATS; empty otherwise or when the handler is gone. */
        Optional<RuntimeBackend> statsBackend(String sandboxId);

        /** Measures the container's writable layer now. */
        ContainerFigures.LayerFigures writableLayer(String containerId) throws Exception;

        /** The text of {@code /proc/net/dev} inside the pod's network namespace; empty for hostNetwork pods. */
        Optional<String> procNetDev(Sandbox sandbox) throws Exception;
    }

    private final Sources sources;
    private final Duration period;
    private final LongSupplier wallNanos;
    private final Map<String, ContainerFigures> containers = new ConcurrentHashMap<>();
    private final Map<String, ContainerFigures> infras = new ConcurrentHashMap<>();
    private final Map<String, NetworkFigures> networks = new ConcurrentHashMap<>();
    private long round;
    /** Guarded by {@code this}; rounds hold {@link #roundLock}, so close never waits behind a round for the monitor. */
    private ScheduledExecutorService thread;
    private final Object roundLock = new Object();

    /** @param wallNanos nanoseconds since the epoch, for figures the backend does not time itself */
    public StatsCollector(Sources sources, Duration period, LongSupplier wallNanos) {
        this.sources = requireNonNull(sources, "sources is null");
        this.period = requireNonNull(period, "period is null");
        this.wallNanos = requireNonNull(wallNanos, "wallNanos is null");
    }

    public static long epochNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** Starts sampling: the first round at once, then one per period after the previous ended. */
    public synchronized void start() {
        if (thread != null) {
            return;
        }
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "crisp-stats-collector");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(this::collectSafely, 0, period.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Stops sampling; waits a little for a round in progress, so the sources can be closed after. */
    @Override
    public void close() {
        ScheduledExecutorService stopping;
        synchronized (this) {
            stopping = thread;
            thread = null;
        }
        if (stopping == null) {
            return;
        }
        stopping.shutdownNow();
        try {
            if (!stopping.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("The stats collector did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void collectSafely() {
        try {
            collectOnce();
        } catch (RuntimeException | Error e) {
            log.warn("Stats collection round failed: {}", e.toString(), e); // the next round tries again
        }
    }

    /** One round: every object sampled once. Public for tests and benchmarks; the thread calls it. */
    public void collectOnce() {
        synchronized (roundLock) {
            collectRound();
        }
    }

    private void collectRound() {
        boolean layers = round++ % LAYER_EVERY == 0;
        Set<String> running = new HashSet<>();
        for (Container c : sources.runningContainers()) {
            running.add(c.id());
            ContainerFigures figures = containers.getOrDefault(c.id(), ContainerFigures.empty(c.id()));
            figures = sampled(figures, c.sandboxId(), c.id());
            if (layers || figures.layer() == null) {
                figures = measured(figures);
            }
            containers.put(c.id(), figures);
        }
        containers.keySet().retainAll(running);

        Set<String> ready = new HashSet<>();
        for (Sandbox s : sources.readySandboxes()) {
            ready.add(s.id());
            if (s.hasInfra()) { // a pod without an infra process is the sum of its containers
                infras.put(s.id(), sampled(infras.getOrDefault(s.id(), ContainerFigures.empty(s.id())), s.id(), s.id()));
            }
            readNetwork(s);
        }
        infras.keySet().retainAll(ready);
        networks.keySet().retainAll(ready);
    }

    private ContainerFigures sampled(ContainerFigures figures, String sandboxId, String id) {
        Optional<RuntimeBackend> backend;
        try {
            backend = sources.statsBackend(sandboxId);
        } catch (RuntimeException e) {
            log.debug("No stats backend for {}: {}", id, e.toString());
            return figures;
        }
        if (backend.isEmpty()) {
            return figures;
        }
        try {
            ContainerStatsSample sample = backend.get().containerStats(id);
            if (sample == null) {
                return figures;
            }
            return figures.withSample(sample);
        } catch (RuntimeException e) {
            log.debug("Stats of {} not read, keeping the previous sample: {}", id, e.toString());
            return figures;
        }
    }

    private ContainerFigures measured(ContainerFigures figures) {
        try {
            return figures.withLayer(sources.writableLayer(figures.id()));
        } catch (Exception e) {
            log.debug("Writable layer of {} not measured: {}", figures.id(), e.toString());
            return figures;
        }
    }

    private void readNetwork(Sandbox s) {
        try {
            Optional<String> text = sources.procNetDev(s);
            if (text.isEmpty()) {
                networks.remove(s.id());
                return;
            }
            networks.put(s.id(), new NetworkFigures(wallNanos.getAsLong(), ProcNetDev.parse(text.get())));
        } catch (Exception e) {
            log.debug("Network counters of pod {} not read: {}", s.id(), e.toString());
        }
    }

    /** The container's figures; {@link ContainerFigures#empty} when none were taken (yet). */
    public ContainerFigures container(String id) {
        return containers.getOrDefault(id, ContainerFigures.empty(id));
    }

    public StatsReports.ContainerReport containerReport(Container c) {
        if (!c.running()) {
            return new StatsReports.ContainerReport(c, ContainerFigures.empty(c.id()));
        }
        ContainerFigures figures = container(c.id());
        if (figures.sample().isEmpty() || figures.writableLayer().isEmpty()) {
            figures = onDemand(containers, figures, c.sandboxId(), true);
        }
        return new StatsReports.ContainerReport(c, figures);
    }

    /**
     * Samples an object the rounds have not covered yet (the next round keeps what this found). A round
     * running at the same time may store its own sample over this one: either is a valid reading.
     */
    private ContainerFigures onDemand(Map<String, ContainerFigures> into, ContainerFigures figures, String sandboxId,
            boolean layer) {
        ContainerFigures taken = figures.sample().isEmpty() ? sampled(figures, sandboxId, figures.id()) : figures;
        if (layer && taken.writableLayer().isEmpty()) {
            taken = measured(taken);
        }
        into.put(taken.id(), taken);
        return taken;
    }

    /**
     * The pod's report over its running containers (the caller passes the pod's containers; the
     * others are left out). A pod that is not ready has no figures.
     */
    public StatsReports.PodReport podReport(Sandbox s, Collection<Container> podContainers) {
        boolean ready = s.state() == Sandbox.State.READY;
        List<StatsReports.ContainerReport> reports = new ArrayList<>();
        List<ContainerFigures> parts = new ArrayList<>();
        if (ready && s.hasInfra()) {
            ContainerFigures infra = infras.getOrDefault(s.id(), ContainerFigures.empty(s.id()));
            parts.add(infra.sample().isEmpty() ? onDemand(infras, infra, s.id(), false) : infra);
        }
        for (Container c : podContainers) {
            if (!c.running() || !c.sandboxId().equals(s.id())) {
                continue;
            }
            StatsReports.ContainerReport report = containerReport(c);
            reports.add(report);
            parts.add(report.figures());
        }
        Optional<NetworkFigures> network = ready ? Optional.ofNullable(networks.get(s.id())) : Optional.empty();
        return new StatsReports.PodReport(s, PodUsage.sumOf(parts), network, reports);
    }
}
