package io.crisp.core.plugin;

import static java.util.Objects.requireNonNull;

import io.crisp.core.config.RuntimeTable;
import io.crisp.core.config.SpecRuleKeys;
import io.crisp.spi.BackendException;
import io.crisp.core.oci.SpecRules;
import io.crisp.spi.BackendHealth;
import io.crisp.spi.Capability;
import io.crisp.spi.NodeCheck;
import io.crisp.spi.RuntimeBackend;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live runtime handler: its table, the plugin that serves it and the backend the plugin created
 * for it. A handler outlives the configuration that named it while pods still use it.
 *
 * <p>Life cycle: a pod that is created on this handler calls {@link #retain()}, and {@link #release()}
 * when it is removed. A reload that drops or changes the handler calls {@link #retire()}. The backend
 * is closed once, when the handler is retired and no pod holds it.
 */
public final class Handler {
    private static final Logger log = LoggerFactory.getLogger(Handler.class);

    private final RuntimeTable table;
    private final LoadedPlugin plugin;
    private final RuntimeBackend backend;
    private final SpecRules specRules;
    private final Set<Capability> capabilities;
    private final AtomicInteger pods = new AtomicInteger();
    private final AtomicBoolean retired = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    Handler(RuntimeTable table, LoadedPlugin plugin, RuntimeBackend backend) {
        this(table, plugin, backend, SpecRules.NONE);
    }

    Handler(RuntimeTable table, LoadedPlugin plugin, RuntimeBackend backend, SpecRules specRules) {
        this.specRules = requireNonNull(specRules, "specRules is null");
        this.table = requireNonNull(table, "table is null");
        this.plugin = requireNonNull(plugin, "plugin is null");
        this.backend = requireNonNull(backend, "backend is null");
        this.capabilities = Set.copyOf(backend.capabilities());
    }

    public String name() {
        return table.name();
    }

    public RuntimeTable table() {
        return table;
    }

    public LoadedPlugin plugin() {
        return plugin;
    }

    public RuntimeBackend backend() {
        return backend;
    }

    /** The table's generic keys (pod_annotations, ...), with the plugin's defaults: applied to every spec the core builds. */
    public SpecRules specRules() {
        return specRules;
    }

    /**
     * Whether a pod whose containers do not share one PID namespace runs without an infra process:
     * the table's {@code drop_infra_ctr}, by default whether the backend can
     * ({@link Capability#PODS_WITHOUT_INFRA}).
     *
     * @throws BackendException FAILED_PRECONDITION when the table asks for it and the backend cannot
     */
    public boolean podsWithoutInfra() {
        boolean can = supports(Capability.PODS_WITHOUT_INFRA);
        boolean wanted = SpecRuleKeys.dropInfra(table.origin(), table.options()).orElse(can);
        if (wanted && !can) {
            throw BackendException.failedPrecondition("%s sets %s = true, but plugin '%s' cannot run pods without an infra process;"
                    + " remove the key", table.origin(), SpecRuleKeys.DROP_INFRA_CTR, plugin.id());
        }
        return wanted;
    }

    /** What the backend offers; for an isolated backend whose plugin has not created it yet (or failed to), nothing. */
    public Set<Capability> capabilities() {
        return backend instanceof IsolatedBackend isolated ? isolated.capabilities() : capabilities;
    }

    public boolean supports(Capability capability) {
        return capabilities().contains(capability);
    }

    /**
     * Refuses a new pod with UNAVAILABLE, naming plugin and reason, while the handler is not ready
     * because its plugin failed to create the backend or its calls keep timing out or failing.
     */
    public void admitPod() {
        if (backend instanceof IsolatedBackend isolated) {
            isolated.admitPod();
        }
    }

    /** The plugin failed to create this handler's backend: a reload must create it again. */
    boolean createFailed() {
        return backend instanceof IsolatedBackend isolated && isolated.createFailed();
    }

    /**
     * The handler's readiness: the backend's health, and when that is ready the first failed
     * {@link #checks() node check} (the same ones {@code crisp doctor} prints), so a check that
     * fails always makes the handler not ready. The kit's backends derive their health from the
     * same checks; an older plugin's health keeps its own words. A backend whose check throws is
     * unhealthy (HealthCheckFailed), never the caller's error.
     */
    public BackendHealth health() {
        BackendHealth own;
        try {
            own = backend().health();
        } catch (RuntimeException e) {
            return BackendHealth.unhealthy("HealthCheckFailed", "plugin '" + plugin().id() + "' failed its health check: " + e);
        }
        return own.ready() ? NodeCheck.health(checks()) : own;
    }

    /** The backend's node checks; one FAIL (HealthCheckFailed) when they throw or the plugin returns none. */
    public List<NodeCheck> checks() {
        try {
            List<NodeCheck> checks = backend().nodeChecks();
            if (checks == null) {
                return List.of(NodeCheck.fail("node checks", "HealthCheckFailed", "plugin '" + plugin().id() + "' returned no node checks",
                        "report it to the plugin's authors"));
            }
            return List.copyOf(checks);
        } catch (RuntimeException | LinkageError e) {
            return List.of(NodeCheck.fail("node checks", "HealthCheckFailed", "plugin '" + plugin().id() + "' failed its node checks: " + e,
                    "see the daemon log; report it to the plugin's authors"));
        }
    }

    public int pods() {
        return pods.get();
    }

    public boolean closed() {
        return closed.get();
    }

    public boolean retired() {
        return retired.get();
    }

    /**
     * A pod now runs on this handler. Refused once the backend is closed: a pod that resolved this
     * handler from a table a reload has since replaced must resolve again.
     *
     * @return false when the handler is closed and the pod must not use it
     */
    public boolean retain() {
        pods.incrementAndGet();
        if (closed.get()) {
            pods.decrementAndGet();
            return false;
        }
        return true;
    }

    /** A pod on this handler is gone. */
    public void release() {
        if (pods.decrementAndGet() <= 0) {
            closeIfUnused();
        }
    }

    void retire() {
        if (retired.compareAndSet(false, true)) {
            log.info("Handler '{}' retired; {} pod(s) still use it", name(), pods.get());
            closeIfUnused();
        }
    }

    private void closeIfUnused() {
        if (retired.get() && pods.get() <= 0) {
            close();
        }
    }

    /** Closes the backend now: at shutdown, or when a handler that never served is discarded. */
    void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            backend.close();
            log.info("Closed backend of handler '{}'", name());
        } catch (RuntimeException e) {
            log.warn("Backend of handler '{}' failed to close: {}", name(), e.toString());
        }
    }
}
