package io.crisp.core.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.core.CrispBuild;
import io.crisp.core.config.ConfigKey;
import io.crisp.core.config.CrispConfig;
import io.crisp.core.config.RuntimeTable;
import io.crisp.core.plugin.Handler;
import io.crisp.core.plugin.HandlerTable;
import io.crisp.core.plugin.LoadedPlugin;
import io.crisp.core.plugin.PluginProblem;
import io.crisp.core.state.Json;
import io.crisp.spi.BackendHealth;
import io.crisp.spi.Capability;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Answers the runtime-wide CRI calls: {@code Status} (conditions, handlers, verbose info) and the
 * cgroup driver for {@code RuntimeConfig}. Everything comes from memory: the kubelet asks every 5 s.
 */
public final class RuntimeInfoService {
    static final String NETWORK_NOT_READY_REASON = "NetworkPluginNotReady";
    static final String NETWORK_NOT_READY_MESSAGE = "no pod network: this process does not serve pods";

    private final DaemonState state;
    private final java.util.function.Supplier<java.util.Optional<String>> networkProblem;
    private final java.util.function.Supplier<Map<String, String>> endpoints;
    private final ObjectMapper json = Json.MAPPER;

    /** For tools that read the configuration without serving pods: the network is reported not ready. */
    public RuntimeInfoService(DaemonState state) {
        this(state, () -> java.util.Optional.of(NETWORK_NOT_READY_MESSAGE));
    }

    /** @param networkProblem empty while the pod network is ready, else why it is not (e.g. no CNI config in the conf dir) */
    public RuntimeInfoService(DaemonState state, java.util.function.Supplier<java.util.Optional<String>> networkProblem) {
        this(state, networkProblem, Map::of);
    }

    /** @param endpoints the daemon's other servers by name ("streaming", "metrics") and URL, for verbose info "endpoints" */
    public RuntimeInfoService(DaemonState state, java.util.function.Supplier<java.util.Optional<String>> networkProblem,
            java.util.function.Supplier<Map<String, String>> endpoints) {
        this.state = state;
        this.networkProblem = networkProblem;
        this.endpoints = endpoints;
    }

    public RuntimeStatusReport status(boolean verbose) {
        // The last load is read before the table: a reload installs its table first and records
        // its outcome after, so the table seen here is never older than the outcome reported.
        ReloadOutcome load = state.lastLoad();
        HandlerTable table = state.handlers().table();
        List<Condition> conditions = new ArrayList<>(List.of(runtimeReady(table), networkReady()));
        conditions.addAll(handlersNotReady(table));
        List<HandlerReport> handlers = new ArrayList<>();
        // CRI: "An empty string denotes the default handler"; it gets the default's features.
        handlers.add(report("", table.defaultHandlerInstance()));
        for (Handler h : table.handlers().values()) {
            handlers.add(report(h.name(), h));
        }
        return new RuntimeStatusReport(conditions, handlers, verbose ? info(table, load) : Map.of());
    }

    /** The cgroup driver the kubelet must use: "cgroupfs" or "systemd". */
    public String cgroupDriver() {
        return state.config().cgroupDriver();
    }

    private static Condition runtimeReady(HandlerTable table) {
        Handler handler = table.defaultHandlerInstance();
        BackendHealth health = handler.health();
        if (health.ready()) {
            return Condition.ready(Condition.RUNTIME_READY);
        }
        return Condition.notReady(Condition.RUNTIME_READY, health.reason(),
                "default handler '" + handler.name() + "': " + health.message());
    }

    /**
     * One {@code HandlerReady/NAME} condition, false, per handler that is not ready (its plugin failed to
     * create it, its calls keep timing out or failing, or its own health check says so); none while
     * every handler is ready, so a healthy node reports the two CRI conditions only.
     */
    private static List<Condition> handlersNotReady(HandlerTable table) {
        List<Condition> out = new ArrayList<>();
        for (Handler h : table.handlers().values()) {
            BackendHealth health = h.health();
            if (!health.ready()) {
                out.add(Condition.notReady(Condition.HANDLER_READY_PREFIX + h.name(), health.reason(), health.message()));
            }
        }
        return out;
    }

    private Condition networkReady() {
        return networkProblem.get()
                .map(problem -> Condition.notReady(Condition.NETWORK_READY, NETWORK_NOT_READY_REASON, problem))
                .orElse(Condition.ready(Condition.NETWORK_READY));
    }

    /**
     * Whether the core builds user-namespaced pods (userns_options mode POD). It refuses them, so no
     * handler reports user_namespaces, whatever its runtime supports, until it does.
     */
    static final boolean CORE_BUILDS_USER_NAMESPACES = false;

    private static HandlerReport report(String name, Handler handler) {
        return new HandlerReport(name, handler.supports(Capability.RECURSIVE_READ_ONLY_MOUNTS),
                CORE_BUILDS_USER_NAMESPACES && handler.supports(Capability.USER_NAMESPACES));
    }

    /** Each CRI handler feature with what it is reported as and why, from the backend's probe (describe()). */
    private ObjectNode features(Handler h, Map<String, String> backend) {
        ObjectNode features = json.createObjectNode();
        HandlerReport report = report(h.name(), h);
        features.putObject("recursive_read_only_mounts").put("reported", report.recursiveReadOnlyMounts())
                .put("reason", backend.getOrDefault("feature.recursive_read_only_mounts",
                        h.supports(Capability.RECURSIVE_READ_ONLY_MOUNTS) ? "the backend declares it" : "the backend does not declare it"));
        String runtime = backend.getOrDefault("feature.user_namespaces",
                h.supports(Capability.USER_NAMESPACES) ? "the backend declares it" : "the backend does not declare it");
        features.putObject("user_namespaces").put("reported", report.userNamespaces())
                .put("reason", CORE_BUILDS_USER_NAMESPACES ? runtime
                        : "crisp does not build user-namespaced pods yet (userns_options mode POD is refused); runtime: " + runtime);
        return features;
    }

    /** Verbose info: each value is a JSON document, as the CRI asks. */
    private Map<String, String> info(HandlerTable table, ReloadOutcome load) {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("version", json.createObjectNode().put("runtime", CrispBuild.VERSION).put("spi", CrispBuild.SPI_VERSION)
                .put("cri", CrispBuild.CRI_API_VERSION).toString());
        info.put("config", config(state.config()).toString());
        info.put("handlers", handlers(table).toString());
        info.put("plugins", plugins().toString());
        ObjectNode reload = json.createObjectNode().put("attempt", load.attempt()).put("at", load.at().toString())
                .put("table_generation", table.generation());
        load.error().ifPresent(e -> reload.put("error", e));
        info.put("reload", reload.toString());
        info.put("node", json.createObjectNode().put("pod_cidr", state.node().podCidr()).toString());
        info.put("daemon", daemon().toString());
        ObjectNode servers = json.createObjectNode();
        endpoints.get().forEach(servers::put);
        info.put("endpoints", servers.toString());
        return info;
    }

    /** This process: pid, start time and where its log goes (what stdout is: a file, else "journal/pipe"). */
    private ObjectNode daemon() {
        ProcessHandle self = ProcessHandle.current();
        ObjectNode node = json.createObjectNode().put("pid", self.pid());
        self.info().startInstant().ifPresent(at -> node.put("started_at", at.toString()));
        CrispConfig config = state.config();
        if (config != null && config.logFile().isPresent()) {
            // log_file is start-only: the file of the running daemon even after a reload changed the key.
            return node.put("log", config.logFile().get().toString()).put("log_max_size", config.logMaxSize())
                    .put("log_max_files", config.logMaxFiles());
        }
        try {
            java.nio.file.Path out = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/1"));
            node.put("log", out.isAbsolute() && java.nio.file.Files.isRegularFile(out) ? out.toString()
                    : "stdout (" + out + "): the journal or whoever started crisp");
        } catch (java.io.IOException | UnsupportedOperationException e) {
            node.put("log", "stdout");
        }
        return node;
    }

    private ObjectNode config(CrispConfig config) {
        ObjectNode root = json.createObjectNode();
        for (ConfigKey key : ConfigKey.values()) {
            ObjectNode table = key.table().isEmpty() ? root : root.with(key.table());
            Object value = config.get(key);
            if (value instanceof Long l) {
                table.put(key.key(), l);
            } else if (value instanceof java.time.Duration d) {
                table.put(key.key(), io.crisp.spi.Durations.format(d));
            } else if (value instanceof java.util.Collection<?> list) {
                ArrayNode array = table.putArray(key.key()); // cni_bin_dir: a JSON array, as in the TOML
                list.forEach(item -> array.add(item.toString()));
            } else {
                table.put(key.key(), value.toString());
            }
        }
        ObjectNode runtimes = root.putObject("runtimes");
        for (RuntimeTable t : config.runtimes().values()) {
            Set<String> sensitive = state.plugins().find(t.plugin()).map(p -> p.extension().sensitiveKeys()).orElse(Set.of());
            ObjectNode node = runtimes.putObject(t.name());
            node.put("plugin", t.plugin());
            t.options().forEach((k, v) -> node.set(k, json.valueToTree(sensitive.contains(k) ? "<redacted>" : v)));
        }
        ArrayNode sources = root.putArray("sources");
        config.sources().forEach(p -> sources.add(p.toString()));
        return root;
    }

    private ArrayNode handlers(HandlerTable table) {
        ArrayNode list = json.createArrayNode();
        for (Handler h : table.handlers().values()) {
            ObjectNode node = list.addObject();
            node.put("name", h.name());
            node.put("plugin", h.plugin().id());
            node.put("plugin_version", h.plugin().version());
            node.put("default", h.name().equals(table.defaultHandler()));
            ArrayNode caps = node.putArray("capabilities");
            h.capabilities().stream().map(Enum::name).sorted().forEach(caps::add);
            BackendHealth health = h.health();
            ObjectNode healthNode = node.putObject("health").put("ready", health.ready());
            if (!health.ready()) {
                healthNode.put("reason", health.reason()).put("message", health.message());
            }
            node.put("pods", state.handlers().pods(h.name())); // with pods still on a backend a reload replaced
            Map<String, String> backend = describe(h);
            node.set("features", features(h, backend));
            node.set("backend", json.valueToTree(backend));
        }
        return list;
    }

    private static Map<String, String> describe(Handler h) {
        try {
            return h.backend().describe();
        } catch (RuntimeException e) {
            return Map.of("error", e.toString());
        }
    }

    /** Loaded plugins and the JARs that did not load; needs no handler table. */
    public ObjectNode plugins() {
        ObjectNode node = json.createObjectNode();
        node.put("dir", state.config().pluginsDir().toString());
        ArrayNode loaded = node.putArray("loaded");
        for (LoadedPlugin p : state.plugins().plugins().values()) {
            loaded.addObject().put("id", p.id()).put("version", p.version()).put("requires", p.requires())
                    .put("description", p.description()).put("jar", p.jar().toString());
        }
        ArrayNode problems = node.putArray("problems");
        for (PluginProblem p : state.plugins().problems()) {
            problems.addObject().put("jar", p.jar().toString()).put("message", p.message());
        }
        return node;
    }
}
