package io.crisp.core.runtime;

import static java.util.Objects.requireNonNull;

import io.crisp.core.config.CrispConfig;
import io.crisp.core.network.NodeState;
import io.crisp.core.plugin.HandlerRegistry;
import io.crisp.core.plugin.HandlerTable;
import io.crisp.core.plugin.PluginCatalog;
import io.crisp.core.sandbox.SandboxDefaults;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The daemon-wide state the CRI services read: the configuration in force, the handlers, the
 * plugins, the last reload and what the kubelet told us about the node. All reads are from memory.
 */
public final class DaemonState implements SandboxDefaults {
    private final AtomicReference<CrispConfig> config = new AtomicReference<>();
    private final AtomicReference<ReloadOutcome> lastLoad = new AtomicReference<>();
    private final HandlerRegistry handlers;
    private final PluginCatalog plugins;
    private final NodeState node = new NodeState();

    public DaemonState(HandlerRegistry handlers, PluginCatalog plugins) {
        this.handlers = requireNonNull(handlers, "handlers is null");
        this.plugins = requireNonNull(plugins, "plugins is null");
    }

    public CrispConfig config() {
        return config.get();
    }

    public void config(CrispConfig value) {
        config.set(requireNonNull(value, "config is null"));
    }

    public ReloadOutcome lastLoad() {
        return lastLoad.get();
    }

    public void lastLoad(ReloadOutcome outcome) {
        lastLoad.set(requireNonNull(outcome, "outcome is null"));
    }

    @Override
    public HandlerTable handlerTable() {
        return handlers.table();
    }

    @Override
    public String pauseImage() {
        return config().pauseImage();
    }

    public HandlerRegistry handlers() {
        return handlers;
    }

    public PluginCatalog plugins() {
        return plugins;
    }

    public NodeState node() {
        return node;
    }
}
