package io.crisp.core.plugin;

import io.crisp.core.config.CallLimits;
import io.crisp.core.config.ConfigException;
import io.crisp.core.config.CrispConfig;
import io.crisp.core.config.RuntimeTable;
import io.crisp.core.config.SpecRuleKeys;
import io.crisp.core.metrics.MeteredBackend;
import io.crisp.core.oci.SpecRules;
import io.crisp.spi.BackendException;
import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.HandlerConfig;
import io.crisp.spi.RuntimeBackend;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the current {@link HandlerTable} and replaces it on reload.
 *
 * <p>Invariants:
 * <ol>
 *   <li>The table is swapped atomically; a request resolves its handler against one table.</li>
 *   <li>A handler whose table, plugin and options are unchanged keeps its backend instance across
 *       reloads: its pods see no difference.</li>
 *   <li>A handler that a reload drops or changes is retired, not closed: pods that hold it keep
 *       using it, and its backend closes when the last of them is gone.</li>
 *   <li>A reload that fails (unknown plugin, options a plugin refuses) installs nothing and closes the
 *       backends it had created; the old table stays.</li>
 *   <li>A plugin that throws unchecked, returns null or blocks while creating a backend fails only
 *       its handler ({@link IsolatedBackend}): the table installs with that handler not ready, and a
 *       reload creates it again.</li>
 * </ol>
 */
public final class HandlerRegistry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HandlerRegistry.class);

    private final AtomicReference<HandlerTable> current = new AtomicReference<>();
    /** Retired handlers that pods still held when they were retired; closed at shutdown if still open. */
    private final Set<Handler> retired = ConcurrentHashMap.newKeySet();
    private final ContainerEventSink events;

    /** Where backends created from now on time their calls; null: not measured. */
    private volatile MeterRegistry meters;

    public HandlerRegistry(ContainerEventSink events) {
        this.events = events;
    }

    /**
     * Wraps every backend created from now on in a {@link MeteredBackend} timing its calls into
     * {@code meters}. Called before the first {@link #apply}, when metrics are on.
     */
    public void measureWith(MeterRegistry meters) {
        this.meters = meters;
    }

    /** The table in force. Null only before the first {@link #apply}. */
    public HandlerTable table() {
        return current.get();
    }

    /**
     * Builds a table for {@code config} from the loaded plugins and installs it.
     *
     * @throws ConfigException naming the handler's table, file and key when a handler cannot be made
     */
    public synchronized HandlerTable apply(CrispConfig config, PluginCatalog catalog) {
        HandlerTable old = current.get();
        retired.removeIf(Handler::closed);
        Map<String, Handler> handlers = new LinkedHashMap<>();
        List<Handler> created = new ArrayList<>();
        try {
            for (RuntimeTable table : config.runtimes().values()) {
                LoadedPlugin plugin = catalog.find(table.plugin()).orElseThrow(() -> new ConfigException(table.origin()
                        + " key 'plugin': no plugin '" + table.plugin() + "' is loaded from " + config.pluginsDir()
                        + " (loaded plugins: " + String.join(", ", catalog.plugins().keySet()) + ")"));
                Handler reused = old == null ? null : old.handlers().get(table.name());
                if (reused != null && reused.plugin() == plugin && Objects.equals(reused.table().options(), table.options())
                        && reused.table().plugin().equals(table.plugin()) && !reused.createFailed()) {
                    handlers.put(table.name(), reused);
                    continue;
                }
                SpecRules rules = SpecRuleKeys.read(table.origin(), table.options(), plugin.extension().defaultOptions());
                SpecRuleKeys.dropInfra(table.origin(), table.options()); // a wrong type fails the load, naming table and key
                Handler handler = new Handler(table, plugin, create(config, table, plugin), rules);
                created.add(handler);
                handlers.put(table.name(), handler);
            }
        } catch (RuntimeException e) {
            created.forEach(Handler::close);
            throw e;
        }
        HandlerTable next = new HandlerTable(old == null ? 1 : old.generation() + 1, config.defaultRuntime(), handlers);
        current.set(next);
        if (old != null) {
            for (Handler h : old.handlers().values()) {
                if (next.handlers().get(h.name()) != h) {
                    h.retire();
                    if (!h.closed()) {
                        retired.add(h);
                    }
                }
            }
        }
        log.info("Handler table {} installed: {} (default '{}')", next.generation(), String.join(", ", handlers.keySet()), next.defaultHandler());
        return next;
    }

    /**
     * The handler's backend inside its {@link IsolatedBackend}: the plugin's create runs on the
     * handler's own pool, so a plugin that throws unchecked, returns null or blocks there leaves only
     * this handler not ready. A {@link BackendException} is the plugin refusing its options: the
     * configuration is wrong and the table is refused.
     */
    private RuntimeBackend create(CrispConfig config, RuntimeTable table, LoadedPlugin plugin) {
        HandlerConfig handlerConfig = new HandlerConfig(table.name(), plugin.id(), SpecRuleKeys.pluginOptions(table.options()),
                config.root().resolve("runtimes").resolve(table.name()), config.state().resolve("runtimes").resolve(table.name()));
        CallLimits limits = CallLimits.read(table.origin(), table.options());
        MeterRegistry measured = meters;
        ContainerEventSink sink = events == null ? null : new OrderedEventSink(events, table.name());
        try {
            return IsolatedBackend.start(plugin.id(), table.name(), limits, () -> {
                RuntimeBackend backend = plugin.extension().create(handlerConfig, new DaemonRuntimeContext(table.name(), sink,
                        DaemonRuntimeContext.of(config.cgroupDriver())));
                return backend == null || measured == null ? backend : new MeteredBackend(backend, plugin.id(), table.name(), measured);
            });
        } catch (BackendException e) {
            throw new ConfigException(table.origin() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Pods that run on handler {@code name}: on its current backend and on the retired ones a reload
     * replaced while pods still used them (those pods keep their backend until they are removed).
     */
    public int pods(String name) {
        Handler current = table().handlers().get(name);
        int onRetired = retired.stream().filter(h -> h.name().equals(name) && !h.closed()).mapToInt(Handler::pods).sum();
        return (current == null ? 0 : current.pods()) + onRetired;
    }

    /** Closes every backend, retired or not: the daemon is stopping. Containers keep running. */
    @Override
    public synchronized void close() {
        HandlerTable table = current.getAndSet(null);
        if (table != null) {
            table.handlers().values().forEach(Handler::close);
        }
        retired.forEach(Handler::close);
        retired.clear();
    }
}
