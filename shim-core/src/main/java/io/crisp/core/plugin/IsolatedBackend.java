package io.crisp.core.plugin;

import static java.util.Objects.requireNonNull;

import io.crisp.core.config.CallLimits;
import io.crisp.core.config.CallLimits.Kind;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendHealth;
import io.crisp.spi.Capability;
import io.crisp.spi.Durations;
import io.crisp.spi.NodeCheck;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.StdioSession;
import io.crisp.spi.model.CheckpointSpec;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.ContainerState;
import io.crisp.spi.model.ContainerStatsSample;
import io.crisp.spi.model.ExecResult;
import io.crisp.spi.model.ExecSpec;
import io.crisp.spi.model.SandboxSpec;
import io.crisp.spi.model.SandboxState;
import io.crisp.spi.model.StdioWiring;
import io.crisp.spi.model.StreamExecSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where the core contains a misbehaving backend (containerd keeps such cross-cutting
 * work in one wrapper too). Every call of the wrapped backend runs on the handler's own pool,
 * bounded by {@code call_concurrency} slots (a bulkhead), and the caller waits for it only up to the
 * deadline of its {@link Kind}: a plugin that hangs ties up its own slots, never the gRPC threads or
 * another handler. Timeouts, unchecked exceptions and null answers count in a {@link CallBreaker};
 * a handler it trips is not ready ({@link #health()}) and refuses new pods with UNAVAILABLE
 * ({@link #admitPod()}); its health probe, run whenever Status asks, half-opens it again.
 *
 * <p>A call the caller gave up on keeps running (it is never interrupted: a plugin stopped half-way
 * through would leave worse state than one that finishes). Until it returns, its object is busy:
 * a removal of that object is deferred to right after it (the core rolls its own records back as
 * for any failure, and the backend's late result is removed when it appears), any other call for
 * the object is refused with UNAVAILABLE. So the plugin never sees two calls for one object at once.
 */
public final class IsolatedBackend implements RuntimeBackend {
    private static final Logger log = LoggerFactory.getLogger(IsolatedBackend.class);
    /** Status waits this long at most for a fresh health answer before using the last one. */
    static final Duration HEALTH_WAIT = Duration.ofSeconds(1);
    private static final String STATS = "containerStats";

    private final String plugin;
    private final String handler;
    private final CallLimits limits;
    private final Semaphore slots;
    private final ExecutorService pool;
    private final CallBreaker breaker;
    private final Map<String, BackendCall<?>> late = new ConcurrentHashMap<>();
    private final AtomicInteger lateCalls = new AtomicInteger();
    private final AtomicInteger lateStats = new AtomicInteger();
    private final PluginStart start;
    private final HealthProbe probe;

    private IsolatedBackend(String plugin, String handler, CallLimits limits) {
        this.plugin = requireNonNull(plugin, "plugin is null");
        this.handler = requireNonNull(handler, "handler is null");
        this.limits = requireNonNull(limits, "limits is null");
        this.slots = new Semaphore(limits.concurrency());
        AtomicInteger threads = new AtomicInteger();
        // A cached pool whose threads retire after 10 s idle, as the RPC threads do (CriServer).
        this.pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 10, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "backend-" + handler + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.breaker = new CallBreaker(plugin, handler, limits.failures(), limits.timeout(Kind.QUERY));
        this.start = new PluginStart(plugin, handler);
        this.probe = new HealthProbe(this);
    }

    /**
     * Creates the handler's backend through {@code create} on the handler's pool, waiting up to the
     * QUERY deadline. A create that throws unchecked, returns null or does not return in time leaves
     * the handler not ready with the reason; one that returns later is adopted then.
     *
     * @throws BackendException the plugin's own refusal (bad options): the configuration is wrong
     */
    public static IsolatedBackend start(String plugin, String handler, CallLimits limits, Supplier<RuntimeBackend> create) {
        IsolatedBackend isolated = new IsolatedBackend(plugin, handler, limits);
        isolated.start.begin(isolated, create, limits.timeout(Kind.QUERY));
        return isolated;
    }

    /** Wraps a backend that exists already (tests, and backends made elsewhere). */
    public static IsolatedBackend wrap(String plugin, String handler, CallLimits limits, RuntimeBackend backend) {
        return start(plugin, handler, limits, () -> backend);
    }

    ExecutorService pool() {
        return pool;
    }

    Semaphore slots() {
        return slots;
    }

    CallLimits limits() {
        return limits;
    }

    /** Calls still running in the plugin after their caller gave up on them. */
    int lateCalls() {
        return lateCalls.get();
    }

    CallBreaker breaker() {
        return breaker;
    }

    String handler() {
        return handler;
    }

    String plugin() {
        return plugin;
    }

    /** The plugin's backend, once its create returned one. */
    RuntimeBackend delegate() {
        return start.backend();
    }

    /** The plugin's create threw or returned null (not: is still running). */
    boolean createFailed() {
        return start.problem().filter(h -> h.reason().equals(PluginStart.REASON_FAILED)).isPresent();
    }

    /** Refuses a new pod with UNAVAILABLE, naming the reason, while the handler is not ready. */
    public void admitPod() {
        BackendHealth h = start.problem().or(breaker::problem).orElse(null);
        if (h != null) {
            probe.kick();
            throw BackendException.unavailable("handler '%s' is not ready (%s): %s; new pods on it are refused until it recovers",
                    handler, h.reason(), h.message());
        }
    }

    /**
     * Runs {@code body} on the pool and waits up to {@code timeout} (null: no deadline).
     *
     * @param objectId the pod or container the call is for, or null
     * @param removal the call removes {@code objectId}: while a late call for it runs it is deferred, not refused
     */
    <T> T call(String method, String objectId, Duration timeout, boolean removal, boolean mayBeNull, Supplier<T> body) {
        if (start.backend() == null) {
            BackendHealth h = start.problem().orElseThrow();
            throw BackendException.unavailable("handler '%s' is not ready (%s): %s", handler, h.reason(), h.message());
        }
        if (objectId != null) {
            BackendCall<?> busy = late.get(objectId);
            if (busy != null && busy.done()) {
                late.remove(objectId, busy); // it returned while its caller was giving up
                busy = null;
            }
            if (busy != null && removal && busy.runAfter(() -> body.get())) {
                log.info("Handler '{}': {} of {} deferred until its late {} returns", handler, method, objectId, busy.method);
                return null;
            }
            if (busy != null && !busy.done()) {
                throw BackendException.unavailable("handler '%s': %s of %s is still running in plugin '%s' %ds after it started, past its"
                        + " deadline; %s waits until it returns, retry later", handler, busy.method, objectId, plugin,
                        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - busy.startedNanos), method);
            }
        }
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        try {
            if (!slots.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                breaker.failed(method, true, "no free call slot within " + Durations.format(timeout) + " (all "
                        + limits.concurrency() + " held by calls still running in the plugin)");
                throw BackendException.unavailable("handler '%s': all %d call slots are held by calls still running in plugin '%s'; %s of %s"
                        + " could not start", handler, limits.concurrency(), plugin, method, objectId);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw BackendException.unavailable("handler '%s': interrupted while waiting to call %s", handler, method);
        }
        BackendCall<T> call = new BackendCall<>(method, objectId, body, done -> {
            if (done.wasAbandoned()) {
                lateCalls.decrementAndGet();
                if (done.method.equals(STATS)) {
                    lateStats.decrementAndGet();
                }
            }
            if (done.objectId != null) {
                late.remove(done.objectId, done);
            }
            slots.release();
        });
        try {
            pool.execute(call);
        } catch (RuntimeException e) {
            slots.release();
            throw BackendException.unavailable("handler '%s' is closed: %s not called", handler, method);
        }
        return await(call, deadline, timeout, mayBeNull);
    }

    private <T> T await(BackendCall<T> call, long deadline, Duration timeout, boolean mayBeNull) {
        T result;
        try {
            result = deadline == Long.MAX_VALUE ? call.result.get() : call.result.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            if (call.abandon()) {
                lateCalls.incrementAndGet();
                if (call.method.equals(STATS)) {
                    lateStats.incrementAndGet();
                }
                if (call.objectId != null) {
                    late.put(call.objectId, call);
                }
                String what = "did not return within " + Durations.format(timeout);
                breaker.failed(call.method, true, what + (call.objectId == null ? "" : " (for " + call.objectId + ")"));
                throw new BackendException(BackendException.Kind.DEADLINE_EXCEEDED, String.format("handler '%s' (plugin '%s'): %s%s %s;"
                        + " it keeps running in the plugin and anything it makes is removed when it returns", handler, plugin, call.method,
                        call.objectId == null ? "" : " of " + call.objectId, what));
            }
            return await(call, Long.MAX_VALUE, timeout, mayBeNull); // it finished just now
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw BackendException.unavailable("handler '%s': interrupted while waiting for %s", handler, call.method);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof BackendException refusal) {
                breaker.succeeded(call.method);
                throw refusal;
            }
            breaker.failed(call.method, false, "threw " + cause);
            throw new BackendException(BackendException.Kind.INTERNAL, String.format("handler '%s' (plugin '%s'): %s failed: %s", handler,
                    plugin, call.method, cause), cause);
        }
        if (result == null && !mayBeNull) {
            breaker.failed(call.method, false, "returned null");
            throw new BackendException(BackendException.Kind.INTERNAL, String.format("handler '%s' (plugin '%s'): %s returned nothing (null)",
                    handler, plugin, call.method));
        }
        breaker.succeeded(call.method);
        return result;
    }

    private void run(String method, String objectId, Duration timeout, boolean removal, Runnable body) {
        call(method, objectId, timeout, removal, true, () -> {
            body.run();
            return null;
        });
    }

    private Duration timeout(Kind kind) {
        return limits.timeout(kind);
    }

    private Duration plus(Kind kind, Duration own) {
        return own == null || own.isNegative() ? timeout(kind) : timeout(kind).plus(own);
    }

    @Override
    public Set<Capability> capabilities() {
        return start.capabilities();
    }

    /**
     * Not ready while the plugin's create failed or has not returned, while the breaker is tripped,
     * or while its own health check says so or has not answered; never blocks Status for more than
     * {@link #HEALTH_WAIT}.
     */
    @Override
    public BackendHealth health() {
        var startProblem = start.problem();
        if (startProblem.isPresent()) {
            return startProblem.get();
        }
        BackendHealth own = probe.check();
        return breaker.problem().orElse(own);
    }

    /**
     * The plugin's node checks, found by the same probe as {@link #health()} (on the pool, one at a
     * time; this starts none once one answered, as Status asks health first), so a hung check costs
     * Status no more than a hung health does. The first answer is
     * waited for up to the query deadline (the kit's first checks wait a few seconds for version
     * probes; {@code crisp doctor} asks right after the start), later ones up to {@link #HEALTH_WAIT}.
     * While its calls are tripped, or the probe hangs or fails, that problem as one check.
     */
    @Override
    public List<NodeCheck> nodeChecks() {
        if (start.backend() == null) {
            return RuntimeBackend.super.nodeChecks();
        }
        BackendHealth own = probe.latest(probe.answeredOnce() ? HEALTH_WAIT : timeout(Kind.QUERY));
        var tripped = breaker.problem();
        if (tripped.isPresent()) {
            return List.of(NodeCheck.of(tripped.get()));
        }
        boolean probeFailed = !own.ready() && (own.reason().equals(CallBreaker.REASON_TIMEOUT) || own.reason().equals(CallBreaker.REASON_BROKEN));
        List<NodeCheck> checks = probe.lastChecks();
        // A plugin that answered not ready explains why in its checks (what crisp doctor prints).
        return probeFailed || checks == null ? List.of(NodeCheck.of(own)) : checks;
    }

    @Override
    public Map<String, String> describe() {
        try {
            Map<String, String> d = call("describe", null, timeout(Kind.QUERY), false, true, () -> delegate().describe());
            return d == null ? Map.of() : d;
        } catch (BackendException e) {
            return Map.of("error", e.getMessage());
        }
    }

    @Override
    public SandboxState runSandbox(SandboxSpec spec) {
        admitPod();
        return call("runSandbox", spec.id(), timeout(Kind.CREATE), false, false, () -> delegate().runSandbox(spec));
    }

    @Override
    public SandboxState sandboxState(String sandboxId) {
        return call("sandboxState", sandboxId, timeout(Kind.QUERY), false, false, () -> delegate().sandboxState(sandboxId));
    }

    @Override
    public void stopSandbox(String sandboxId, Duration timeout) {
        run("stopSandbox", sandboxId, plus(Kind.STOP, timeout), false, () -> delegate().stopSandbox(sandboxId, timeout));
    }

    @Override
    public void removeSandbox(String sandboxId) {
        run("removeSandbox", sandboxId, timeout(Kind.REMOVE), true, () -> delegate().removeSandbox(sandboxId));
    }

    @Override
    public ContainerState createContainer(ContainerSpec spec) {
        return call("createContainer", spec.id(), timeout(Kind.CREATE), false, false, () -> delegate().createContainer(spec));
    }

    @Override
    public ContainerState startContainer(String containerId) {
        return call("startContainer", containerId, timeout(Kind.CREATE), false, false, () -> delegate().startContainer(containerId));
    }

    @Override
    public void stopContainer(String containerId, int signal, Duration timeout) {
        run("stopContainer", containerId, plus(Kind.STOP, timeout), false, () -> delegate().stopContainer(containerId, signal, timeout));
    }

    @Override
    public void removeContainer(String containerId) {
        run("removeContainer", containerId, timeout(Kind.REMOVE), true, () -> delegate().removeContainer(containerId));
    }

    @Override
    public ContainerState containerState(String containerId) {
        return call("containerState", containerId, timeout(Kind.QUERY), false, false, () -> delegate().containerState(containerId));
    }

    /** No deadline when the exec has none (CRI: timeout 0 waits for the command); else its own plus EXEC. */
    @Override
    public ExecResult execSync(ExecSpec spec) {
        Duration own = spec.timeout();
        return call("execSync", null, own.isZero() ? null : plus(Kind.EXEC, own), false, false, () -> delegate().execSync(spec));
    }

    @Override
    public StdioSession exec(StreamExecSpec spec) {
        return call("exec", null, timeout(Kind.EXEC), false, false, () -> delegate().exec(spec));
    }

    @Override
    public StdioSession attach(String containerId, StdioWiring stdio) {
        return call("attach", null, timeout(Kind.EXEC), false, false, () -> delegate().attach(containerId, stdio));
    }

    /**
     * Fails fast while the handler is not ready or a stats call is still running past its deadline:
     * the core's collector samples every container in turn, and must not wait a deadline per
     * container of a hung handler (it keeps the previous sample).
     */
    @Override
    public ContainerStatsSample containerStats(String id) {
        if (lateStats.get() > 0 || breaker.problem().isPresent()) {
            throw BackendException.unavailable("handler '%s' (plugin '%s') is not answering stats calls now; %s not sampled", handler,
                    plugin, id);
        }
        return call(STATS, null, timeout(Kind.QUERY), false, false, () -> delegate().containerStats(id));
    }

    @Override
    public void updateContainerResources(String containerId, String linuxResourcesJson) {
        run("updateContainerResources", containerId, timeout(Kind.QUERY), false,
                () -> delegate().updateContainerResources(containerId, linuxResourcesJson));
    }

    @Override
    public void reopenContainerLog(String containerId) {
        run("reopenContainerLog", containerId, timeout(Kind.QUERY), false, () -> delegate().reopenContainerLog(containerId));
    }

    @Override
    public void checkpointContainer(CheckpointSpec spec) {
        run("checkpointContainer", spec.containerId(), plus(Kind.CREATE, spec.timeout()), false, () -> delegate().checkpointContainer(spec));
    }

    @Override
    public ContainerState restoreContainer(ContainerSpec spec, java.nio.file.Path imageDir) {
        return call("restoreContainer", spec.id(), timeout(Kind.CREATE), false, false, () -> delegate().restoreContainer(spec, imageDir));
    }

    /** Closes the plugin's backend, waiting up to the REMOVE deadline; then the pool (its threads are daemons). */
    @Override
    public void close() {
        try {
            if (delegate() != null) {
                run("close", null, timeout(Kind.REMOVE), false, () -> delegate().close());
            }
        } finally {
            start.discardLate();
            pool.shutdown();
        }
    }
}
