package io.crisp.core.daemon;

import io.crisp.core.config.ConfigException;
import io.crisp.core.config.ConfigKey;
import io.crisp.core.config.CrispConfig;
import io.crisp.core.image.ImageService;
import io.crisp.core.metrics.MetricsServer;
import io.crisp.core.metrics.RuntimeMetrics;
import io.crisp.core.network.PodNetworking;
import io.crisp.core.plugin.HandlerRegistry;
import io.crisp.core.plugin.PluginCatalog;
import io.crisp.core.runtime.DaemonState;
import io.crisp.core.runtime.ReloadOutcome;
import io.crisp.core.runtime.RuntimeInfoService;
import io.crisp.core.runtime.EventRouter;
import io.crisp.core.server.AdminServiceImpl;
import io.crisp.core.server.ContainerEventStreams;
import io.crisp.core.server.ContainerRpcs;
import io.crisp.core.server.CriServer;
import io.crisp.core.server.ImageServiceImpl;
import io.crisp.core.server.PodSandboxRpcs;
import io.crisp.core.server.RuntimeInfoRpcs;
import io.crisp.core.server.RuntimeServiceImpl;
import io.crisp.core.server.SocketFile;
import io.crisp.core.server.StatsRpcs;
import io.crisp.core.server.StreamingRpcs;
import io.crisp.core.stats.StatsService;
import io.crisp.core.stream.StreamUrls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running daemon: loads configuration and plugins, installs the handler table, serves the CRI
 * socket, and reloads on request.
 *
 * <p>Reload rules:
 * <ol>
 *   <li>A reload re-reads every file, scans the plugins directory for new JARs, builds a new handler
 *       table and swaps it in; the log level follows at once.</li>
 *   <li>Keys that cannot change while running (socket, directories, cgroup driver, message size)
 *       keep their old values; a changed one is logged as needing a restart.</li>
 *   <li>A reload that fails changes nothing and is reported in Status (verbose info "reload").</li>
 * </ol>
 */
public final class Daemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final Supplier<CrispConfig> configSource;
    private final PluginCatalog catalog = new PluginCatalog();
    private final EventRouter events = new EventRouter();
    private final HandlerRegistry registry = new HandlerRegistry(events);
    private final DaemonState state = new DaemonState(registry, catalog);
    /** Null while metrics are off ({@code metrics_port} 0): then nothing is measured. */
    private RuntimeMetrics metrics;
    private volatile MetricsServer metricsServer;
    private CriServer server;
    /** The locked socket between the start's first step and the server taking it over. */
    private SocketFile socketFile;
    private Lifecycle lifecycle;
    private ContainerEventStreams eventStreams;
    /** Stops {@link HeapGiveBack}'s thread. */
    private Runnable heapGiveBack;
    private long attempts;

    private Daemon(Supplier<CrispConfig> configSource) {
        this.configSource = configSource;
    }

    /**
     * Starts a daemon. {@code configSource} is called again on every reload.
     *
     * @throws ConfigException when the configuration or a handler is refused
     * @throws IllegalStateException when the socket belongs to another server
     */
    public static Daemon start(Supplier<CrispConfig> configSource) {
        Daemon daemon = new Daemon(configSource);
        try {
            daemon.startServing();
        } catch (RuntimeException e) {
            daemon.close();
            throw e;
        }
        return daemon;
    }

    private void startServing() {
        long started = System.nanoTime();
        CrispConfig config = configSource.get();
        CgroupDriverCheck.system().check(config);
        LogLevels.apply(config.logLevel());
        config.logFile().ifPresent(file -> LogFiles.rotateTo(file, config.logMaxSize(), config.logMaxFiles()));
        // The socket's lock first: a second daemon is refused before it loads plugins, images or CNI.
        socketFile = SocketFile.prepare(config.socketPath());
        if (config.metricsPort() != 0) {
            metrics = RuntimeMetrics.prometheus(() -> state.config().defaultRuntime());
            registry.measureWith(metrics.registry());
        }
        ImageService images = new ImageService(config.root(), () -> {
            CrispConfig c = state.config();
            return new ImageService.PullSettings(c.registriesConf(), c.authFile(), c.imagePullProgressTimeout(),
                    c.maxConcurrentDownloads(), c.platform(), c.credentialHelperTimeout(), c.certsDirs());
        });
        images.signaturePolicy(() -> java.util.Optional.of(io.crisp.core.image.policy.SignaturePolicy.load(state.config().signaturePolicy(),
                state.config().registriesD(), state.config().imagePullProgressTimeout())));
        images.pinning(io.crisp.core.image.ImagePins.cached(() -> state.config().pauseImage(), () -> state.config().pinnedImages()));
        images.logPullsEvery(() -> state.config().imagePullLogInterval());
        if (metrics != null) {
            images.observePulls(metrics.pullObserver());
        }
        // The image store loads while the plugins load and the handlers recover their containers.
        StartStep<Void> imagesLoaded = StartStep.begin("images", images::start);
        try {
            catalog.scan(config.pluginsDir());
            registry.apply(config, catalog);
        } catch (RuntimeException | Error e) {
            imagesLoaded.settle();
            throw e;
        }
        state.config(config);
        state.lastLoad(new ReloadOutcome(++attempts, Instant.now(), Optional.empty()));
        // Served from here: a client connecting while the images load and the pods are recovered
        // waits for its answer instead of being refused (and backing off before it tries again).
        SocketFile socket = socketFile;
        socketFile = null; // the server owns it now, and closes it on failure too
        server = CriServer.listen(socket, config.grpcMaxRecvMsgSize(), metrics);
        imagesLoaded.join();
        lifecycle = Lifecycle.start(state, config, images, events, metrics);
        PodNetworking networking = lifecycle.networking();
        Lifecycle running = lifecycle;
        RuntimeInfoService info = new RuntimeInfoService(state,
                () -> java.util.Optional.of(networking.notReadyMessage()).filter(problem -> !problem.isEmpty()), () -> endpoints(running));
        eventStreams = new ContainerEventStreams(lifecycle.events());
        server.open(List.of(
                new RuntimeServiceImpl(
                        new RuntimeInfoRpcs(info, state.node(), eventStreams),
                        new PodSandboxRpcs(lifecycle.sandboxes(), lifecycle.bundles()),
                        new ContainerRpcs(lifecycle.containers(), lifecycle.bundles()),
                        new StreamingRpcs(new StreamUrls(lifecycle.containers().execs(), lifecycle.sandboxes(), lifecycle.streaming()::url)),
                        new StatsRpcs(new StatsService(lifecycle.stats(), lifecycle.sandboxes(), lifecycle.containers()))),
                new ImageServiceImpl(images, lifecycle.bundles()::writableLayers),
                new AdminServiceImpl(images)));
        // After the socket: a second daemon fails on the socket, not on the metrics port the first one holds.
        if (metrics != null) {
            try {
                metricsServer = MetricsServer.start(config.metricsAddress(), config.metricsPort(), metrics::scrape);
            } catch (IOException e) {
                throw new UncheckedIOException(e.getMessage(), e);
            }
        }
        // Only now: the socket lock proves no other daemon runs, so its pid file is not ours to replace.
        try {
            PidFile.write(config.state());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write pid file in " + config.state() + ": " + e.getMessage(), e);
        }
        heapGiveBack = HeapGiveBack.start(HeapGiveBack.PERIOD);
        long sinceProcessStart = msSinceProcessStart();
        log.info("crisp {} ready in {} ms ({} ms after the process started): handlers {} (default '{}'), plugins from {}",
                io.crisp.core.CrispBuild.VERSION, (System.nanoTime() - started) / 1_000_000, sinceProcessStart,
                config.runtimes().keySet(), config.defaultRuntime(), config.pluginsDir());
    }

    /**
     * Milliseconds since this process (the launcher's shell, which execs the JVM) started, to 10 ms:
     * the system's uptime less the process's start in clock ticks after boot ({@code /proc/self/stat}
     * field 22, at the usual 100 ticks a second). -1 when /proc cannot tell.
     */
    static long msSinceProcessStart() {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long startTicks = Long.parseLong(fields[19]);
            String uptime = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/uptime"));
            double upSeconds = Double.parseDouble(uptime.substring(0, uptime.indexOf(' ')));
            return Math.max(0, Math.round(upSeconds * 1000) - startTicks * 10);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The other servers' URLs, for Status verbose info and {@code crisp status}. */
    private Map<String, String> endpoints(Lifecycle running) {
        Map<String, String> endpoints = new java.util.LinkedHashMap<>();
        endpoints.put("streaming", running.streaming().server().baseUrl());
        MetricsServer served = metricsServer;
        if (served != null) {
            endpoints.put("metrics", served.url());
        }
        return endpoints;
    }

    /** Re-reads configuration and plugins; never throws: the outcome says what happened. */
    /**
     * After a reload, a handler the node depends on (the default, or one with pods) that is not ready
     * is worth a WARN: the kubelet marks the node NotReady for the default handler's RuntimeReady.
     */
    private static void warnAboutHandlersNotReady(io.crisp.core.plugin.HandlerTable table) {
        table.handlers().forEach((name, handler) -> {
            boolean isDefault = name.equals(table.defaultHandler());
            if (!isDefault && handler.pods() == 0) {
                return;
            }
            io.crisp.spi.BackendHealth health = handler.health();
            if (!health.ready()) {
                log.warn("After the reload, handler '{}'{} is not ready: {}: {}", name,
                        isDefault ? " (the default: RuntimeReady is false)" : " (" + handler.pods() + " pods)", health.reason(),
                        health.message());
            }
        });
    }

    public synchronized ReloadOutcome reload() {
        long attempt = ++attempts;
        ReloadOutcome outcome;
        try {
            CrispConfig current = state.config();
            CrispConfig next = keepStartOnlyKeys(current, configSource.get());
            catalog.scan(next.pluginsDir());
            registry.apply(next, catalog);
            LogLevels.apply(next.logLevel());
            state.config(next);
            outcome = new ReloadOutcome(attempt, Instant.now(), Optional.empty());
            log.info("Configuration reloaded (attempt {}): handlers {}, default '{}'", attempt, next.runtimes().keySet(), next.defaultRuntime());
            warnAboutHandlersNotReady(registry.table());
        } catch (RuntimeException e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            outcome = new ReloadOutcome(attempt, Instant.now(), Optional.of(message));
            log.error("Reload refused, the previous configuration stays in force: {}", message);
        }
        state.lastLoad(outcome);
        return outcome;
    }

    private static CrispConfig keepStartOnlyKeys(CrispConfig current, CrispConfig next) {
        Map<ConfigKey, Object> values = new EnumMap<>(ConfigKey.class);
        values.putAll(next.values());
        for (ConfigKey key : ConfigKey.values()) {
            if (!key.reloadable() && !current.get(key).equals(next.get(key))) {
                log.warn("{} key '{}' changed to {}; restart crisp to apply it (keeping {})",
                        key.tableLabel(), key.key(), next.get(key), current.get(key));
                values.put(key, current.get(key));
            }
        }
        return new CrispConfig(values, next.runtimes(), next.sources());
    }

    public DaemonState state() {
        return state;
    }

    /** Stops serving and closes backends. Containers keep running: they do not belong to this process. */
    @Override
    public synchronized void close() {
        if (heapGiveBack != null) {
            heapGiveBack.run();
            heapGiveBack = null;
        }
        if (eventStreams != null) {
            eventStreams.close(); // open event streams would otherwise hold up the server's shutdown
            eventStreams = null;
        }
        if (server != null) {
            server.close();
            server = null;
        }
        if (socketFile != null) {
            socketFile.close();
            socketFile = null;
        }
        if (metricsServer != null) {
            metricsServer.close();
            metricsServer = null;
        }
        if (lifecycle != null) {
            lifecycle.close();
            lifecycle = null;
        }
        registry.close();
        catalog.close();
        CrispConfig config = state.config();
        if (config != null) {
            PidFile.remove(config.state());
        }
    }
}
