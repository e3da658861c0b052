package io.crisp.core.metrics;

import static java.util.Objects.requireNonNull;

import io.crisp.core.image.ImageService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The daemon's meters, by name, on one Micrometer registry. The daemon makes one, on a Prometheus
 * registry, only when {@code metrics_port} is set; with metrics off nothing is measured and
 * Micrometer is not loaded. Names are Micrometer's dotted names; the Prometheus registry writes them
 * as {@code crisp_rpc_duration_seconds}, {@code crisp_oom_kills_total} and so on.
 *
 * <p>Gauges that count objects are computed when scraped: {@link #beforeScrape} registers the work,
 * {@link #scrape} runs it and renders the text.
 */
public final class RuntimeMetrics {
    /** Timer {@code crisp_rpc_duration_seconds{rpc,code,handler}}. */
    public static final String RPC_DURATION = "crisp.rpc.duration";
    /** Counter {@code crisp_rpc_errors_total{rpc,code,handler}}: RPCs that ended with a status other than OK. */
    public static final String RPC_ERRORS = "crisp.rpc.errors";
    /** Timer {@code crisp_plugin_call_duration_seconds{plugin,handler,method,outcome}}. */
    public static final String PLUGIN_CALL_DURATION = "crisp.plugin.call.duration";
    /**
     * Counter {@code crisp_image_pull_bytes_total{image}}: bytes of the images pulled (compressed layers and
     * config), per repository. The label is the repository without tag or digest, so a node gets one
     * series per repository it pulls from (not one per tag or digest, which grow with every release).
     */
    public static final String IMAGE_PULL_BYTES = "crisp.image.pull.bytes";
    /** Timer {@code crisp_image_pull_duration_seconds{outcome}}. */
    public static final String IMAGE_PULL_DURATION = "crisp.image.pull.duration";
    /** Gauge {@code crisp_containers{state,handler}}. */
    public static final String CONTAINERS = "crisp.containers";
    /** Gauge {@code crisp_sandboxes{state,handler}}. */
    public static final String SANDBOXES = "crisp.sandboxes";
    /** Counter {@code crisp_oom_kills_total{handler}}. */
    public static final String OOM_KILLS = "crisp.oom.kills";

    /** Histogram buckets of every timer: from a map lookup to a slow image pull. */
    static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60),
        Duration.ofMinutes(5)};

    private final MeterRegistry registry;
    private final Supplier<String> defaultHandler;
    private final List<Runnable> refreshers = new CopyOnWriteArrayList<>();

    /** @param defaultHandler the handler a RunPodSandbox with an empty runtime_handler gets */
    public RuntimeMetrics(MeterRegistry registry, Supplier<String> defaultHandler) {
        this.registry = requireNonNull(registry, "registry is null");
        this.defaultHandler = requireNonNull(defaultHandler, "defaultHandler is null");
    }

    /** Meters on a new Prometheus registry, for {@link #scrape()}. */
    public static RuntimeMetrics prometheus(Supplier<String> defaultHandler) {
        return new RuntimeMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), defaultHandler);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** A timer with the shared buckets. */
    static Timer timer(MeterRegistry registry, String name, String... tags) {
        return Timer.builder(name).tags(tags).serviceLevelObjectives(BUCKETS).register(registry);
    }

    /**
     * One finished RPC.
     *
     * @param rpc the bare method name, e.g. {@code RunPodSandbox}
     * @param code the gRPC status code name, e.g. {@code NOT_FOUND}
     * @param handler the handler the call was for; empty when the RPC does not name one
     */
    public void rpcCompleted(String rpc, String code, String handler, long nanos) {
        timer(registry, RPC_DURATION, "rpc", rpc, "code", code, "handler", handler).record(nanos, TimeUnit.NANOSECONDS);
        if (!code.equals("OK")) {
            Counter.builder(RPC_ERRORS).tags("rpc", rpc, "code", code, "handler", handler).register(registry).increment();
        }
    }

    /** The handler a request's runtime_handler names: the default handler when it is empty. */
    public String handlerName(String runtimeHandler) {
        return runtimeHandler == null || runtimeHandler.isEmpty() ? defaultHandler.get() : runtimeHandler;
    }

    /** A pull of {@code repository} ({@code docker.io/library/busybox}) stored an image of {@code bytes}. */
    public void pullSucceeded(String repository, long bytes, long nanos) {
        Counter.builder(IMAGE_PULL_BYTES).tag("image", repository).register(registry).increment(bytes);
        timer(registry, IMAGE_PULL_DURATION, "outcome", "ok").record(nanos, TimeUnit.NANOSECONDS);
    }

    public void pullFailed(long nanos) {
        timer(registry, IMAGE_PULL_DURATION, "outcome", "error").record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A container of {@code handler} (empty when unknown) was killed by the OOM killer. */
    public void oomKilled(String handler) {
        Counter.builder(OOM_KILLS).tag("handler", handler).register(registry).increment();
    }

    /** Work that updates gauges, run before every scrape. */
    public void beforeScrape(Runnable refresh) {
        refreshers.add(requireNonNull(refresh, "refresh is null"));
    }

    /** Tells this registry of every pull that ends. */
    public ImageService.PullObserver pullObserver() {
        return new ImageService.PullObserver() {
            @Override
            public void pulled(String repository, long bytes, long nanos) {
                pullSucceeded(repository, bytes, nanos);
            }

            @Override
            public void failed(long nanos) {
                pullFailed(nanos);
            }
        };
    }

    /**
     * Updates the computed gauges and renders the registry in Prometheus text format.
     *
     * @throws IllegalStateException when the registry is not a Prometheus registry
     */
    public String scrape() {
        if (!(registry instanceof PrometheusMeterRegistry prometheus)) {
            throw new IllegalStateException("metrics are not kept in a Prometheus registry");
        }
        return scrape(prometheus);
    }

    /** Updates the computed gauges and renders {@code prometheus} in Prometheus text format. */
    public String scrape(PrometheusMeterRegistry prometheus) {
        refresh();
        return prometheus.scrape();
    }

    /** Updates the computed gauges. */
    public void refresh() {
        refreshers.forEach(Runnable::run);
    }
}
