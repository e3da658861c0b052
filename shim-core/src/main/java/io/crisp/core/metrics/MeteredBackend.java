package io.crisp.core.metrics;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.BackendException;
import io.crisp.spi.BackendHealth;
import io.crisp.spi.Capability;
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
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A backend that times every call into the backend it wraps: {@code crisp_plugin_call_duration_seconds}
 * labelled {@code plugin}, {@code handler}, {@code method} (the SPI method, e.g. {@code runSandbox}) and
 * {@code outcome} ({@code ok}, the {@link BackendException.Kind} of a refusal, or {@code INTERNAL} for
 * anything else thrown). The handler registry wraps every backend it creates, so a plugin is measured
 * without code of its own. {@code capabilities}, {@code describe} and {@code close} are passed through
 * unmeasured. Every SPI method is forwarded, defaults included, so the plugin's own answer (and its
 * UNIMPLEMENTED message) is what the core sees.
 */
public final class MeteredBackend implements RuntimeBackend {
    private final RuntimeBackend delegate;
    private final MeterRegistry registry;
    private final String plugin;
    private final String handler;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    public MeteredBackend(RuntimeBackend delegate, String plugin, String handler, MeterRegistry registry) {
        this.delegate = requireNonNull(delegate, "delegate is null");
        this.plugin = requireNonNull(plugin, "plugin is null");
        this.handler = requireNonNull(handler, "handler is null");
        this.registry = requireNonNull(registry, "registry is null");
    }

    /** The wrapped backend. */
    public RuntimeBackend delegate() {
        return delegate;
    }

    private <T> T timed(String method, Supplier<T> call) {
        long start = System.nanoTime();
        String outcome = "INTERNAL";
        try {
            T result = call.get();
            outcome = "ok";
            return result;
        } catch (BackendException e) {
            outcome = e.kind().name();
            throw e;
        } finally {
            long nanos = System.nanoTime() - start;
            String o = outcome;
            timers.computeIfAbsent(method + ' ' + o, k -> RuntimeMetrics.timer(registry, RuntimeMetrics.PLUGIN_CALL_DURATION,
                    "plugin", plugin, "handler", handler, "method", method, "outcome", o)).record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    private void timed(String method, Runnable call) {
        timed(method, () -> {
            call.run();
            return null;
        });
    }

    @Override
    public Set<Capability> capabilities() {
        return delegate.capabilities();
    }

    @Override
    public Map<String, String> describe() {
        return delegate.describe();
    }

    @Override
    public BackendHealth health() {
        return timed("health", delegate::health);
    }

    @Override
    public List<NodeCheck> nodeChecks() {
        return timed("nodeChecks", delegate::nodeChecks);
    }

    @Override
    public SandboxState runSandbox(SandboxSpec spec) {
        return timed("runSandbox", () -> delegate.runSandbox(spec));
    }

    @Override
    public SandboxState sandboxState(String sandboxId) {
        return timed("sandboxState", () -> delegate.sandboxState(sandboxId));
    }

    @Override
    public void stopSandbox(String sandboxId, Duration timeout) {
        timed("stopSandbox", () -> delegate.stopSandbox(sandboxId, timeout));
    }

    @Override
    public void removeSandbox(String sandboxId) {
        timed("removeSandbox", () -> delegate.removeSandbox(sandboxId));
    }

    @Override
    public ContainerState createContainer(ContainerSpec spec) {
        return timed("createContainer", () -> delegate.createContainer(spec));
    }

    @Override
    public ContainerState startContainer(String containerId) {
        return timed("startContainer", () -> delegate.startContainer(containerId));
    }

    @Override
    public void stopContainer(String containerId, int signal, Duration timeout) {
        timed("stopContainer", () -> delegate.stopContainer(containerId, signal, timeout));
    }

    @Override
    public void removeContainer(String containerId) {
        timed("removeContainer", () -> delegate.removeContainer(containerId));
    }

    @Override
    public ContainerState containerState(String containerId) {
        return timed("containerState", () -> delegate.containerState(containerId));
    }

    @Override
    public ExecResult execSync(ExecSpec spec) {
        return timed("execSync", () -> delegate.execSync(spec));
    }

    @Override
    public StdioSession exec(StreamExecSpec spec) {
        return timed("exec", () -> delegate.exec(spec));
    }

    @Override
    public StdioSession attach(String containerId, StdioWiring stdio) {
        return timed("attach", () -> delegate.attach(containerId, stdio));
    }

    @Override
    public ContainerStatsSample containerStats(String id) {
        return timed("containerStats", () -> delegate.containerStats(id));
    }

    @Override
    public void updateContainerResources(String containerId, String linuxResourcesJson) {
        timed("updateContainerResources", () -> delegate.updateContainerResources(containerId, linuxResourcesJson));
    }

    @Override
    public void reopenContainerLog(String containerId) {
        timed("reopenContainerLog", () -> delegate.reopenContainerLog(containerId));
    }

    @Override
    public void checkpointContainer(CheckpointSpec spec) {
        timed("checkpointContainer", () -> delegate.checkpointContainer(spec));
    }

    @Override
    public ContainerState restoreContainer(ContainerSpec spec, java.nio.file.Path imageDir) {
        return timed("restoreContainer", () -> delegate.restoreContainer(spec, imageDir));
    }

    @Override
    public void close() {
        delegate.close();
    }
}
