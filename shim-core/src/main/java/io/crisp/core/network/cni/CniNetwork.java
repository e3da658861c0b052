package io.crisp.core.network.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.core.state.BesideWork;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pod network as the CNI plugins configure it: the first valid config of the conf dir (reloaded
 * when the dir changes), ADD with prevResult chaining, DEL and CHECK with the config and result cached
 * per pod, so tear-down works after a restart, a config change, a half-failed ADD or a vanished netns.
 */
public final class CniNetwork implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CniNetwork.class);
    static final String IF_NAME = "eth0";
    static final String LOOPBACK = "loopback";
    private static final Duration PLUGIN_TIMEOUT = Duration.ofSeconds(60);

    private final Path confDir;
    private final CniPlugins plugins;
    private final CniCache cache;
    /** Runs loopback's ADD while the list's runs. */
    private final BesideWork beside = new BesideWork("crisp-cni-loopback", 4);
    private final Thread watcher;
    private volatile CniConfig config;
    private volatile WatchService watchService;
    private volatile boolean closed;

    /** Loads the first valid network config in confDir and watches confDir for changes; cacheDir holds one file per pod. */
    public CniNetwork(Path confDir, List<Path> binDirs, Path cacheDir) {
        this.confDir = Objects.requireNonNull(confDir, "confDir");
        this.plugins = new CniPlugins(binDirs, PLUGIN_TIMEOUT);
        this.cache = new CniCache(Objects.requireNonNull(cacheDir, "cacheDir"));
        reload();
        this.watcher = new Thread(this::watch, "cni-conf-watcher");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** A valid config is loaded and its plugin binaries, and loopback's, exist. */
    public boolean ready() {
        return notReadyMessage().isEmpty();
    }

    /** Why the network is not ready, "" when it is. */
    public String notReadyMessage() {
        CniConfig current = config;
        if (current == null) {
            return "no valid CNI network config in " + confDir;
        }
        List<String> types = new ArrayList<>(current.pluginTypes());
        types.add(LOOPBACK);
        return plugins.missing(types);
    }

    /** The network config in force, empty when the conf dir has no valid one. */
    public Optional<CniConfig> config() {
        return Optional.ofNullable(config);
    }

    /** The plugin types the config in force names, then loopback, which the core always runs. */
    public List<String> pluginTypes() {
        CniConfig current = config;
        List<String> types = new ArrayList<>(current == null ? List.of() : current.pluginTypes());
        types.add(LOOPBACK);
        return types;
    }

    /** The loaded network's name, "" when not ready. */
    public String networkName() {
        CniConfig current = config;
        return current == null || !ready() ? "" : current.name();
    }

    /**
     * Wires the pod: ADD through the list, and loopback's ADD beside it on another thread (lo and
     * the list's interface are independent; each plugin is a process that takes milliseconds to
     * start). The call returns once both ended; when either failed, what the list added is deleted
     * again. The cache file is written before this returns.
     */
    public PodNetworkStatus setUp(PodNetworkRequest request) {
        String sandboxId = CniCache.validSandboxId(request.sandboxId());
        if (request.netns() == null || !Files.exists(request.netns())) {
            throw BackendException.invalidArgument("network namespace %s of sandbox %s does not exist",
                    request.netns(), sandboxId);
        }
        if (cache.read(sandboxId).isPresent()) {
            // a retry after an ADD whose clean-up failed: finish that DEL with its own config first
            tearDown(sandboxId, request.netns());
        }
        CniConfig current = config;
        String notReady = notReadyMessage();
        if (current == null || !notReady.isEmpty()) {
            throw BackendException.failedPrecondition("CNI network (conf dir %s) is not ready: %s", confDir, notReady);
        }
        ObjectNode capabilityArgs = RuntimeConfigs.capabilityArgs(request);
        String cniArgs = CniPlugins.cniArgs(request.podNamespace(), request.podName(), sandboxId, request.podUid());
        String netns = request.netns().toString();
        ObjectNode loopback = CniConfig.JSON.createObjectNode()
                .put("cniVersion", "0.3.1").put("name", "cni-loopback").put("type", LOOPBACK);
        CniPlugins.Call loopbackCall = new CniPlugins.Call(sandboxId, netns, "lo", cniArgs);
        BesideWork.Task<JsonNode> loopbackUp = beside.start(() -> plugins.invoke(LOOPBACK, "ADD", loopbackCall, loopback));

        CniCache.Entry entry = new CniCache.Entry(sandboxId, current.name(), current.cniVersion(), current.json(),
                null, IF_NAME, netns, request.podName(), request.podNamespace(), request.podUid(), capabilityArgs);
        cache.write(entry);
        CniPlugins.Call call = new CniPlugins.Call(sandboxId, netns, IF_NAME, cniArgs);
        JsonNode result = null;
        int added = 0;
        try {
            try {
                for (int i = 0; i < current.plugins().size(); i++) {
                    String type = current.pluginTypes().get(i);
                    JsonNode out = plugins.invoke(type, "ADD", call, current.pluginInput(i, capabilityArgs, result));
                    added++;
                    if (out == null || !out.isObject()) {
                        throw BackendException.unavailable("CNI plugin %s ADD printed no result", type);
                    }
                    result = out;
                }
            } catch (BackendException e) {
                throw loopbackUp.after(e);
            }
            Optional<RuntimeException> loopbackFailed = loopbackUp.await();
            if (loopbackFailed.isPresent()) {
                throw loopbackFailed.get() instanceof BackendException b ? b : new BackendException(BackendException.Kind.INTERNAL,
                        "CNI plugin loopback ADD: " + loopbackFailed.get(), loopbackFailed.get());
            }
            cache.write(entry.withResult(result));
        } catch (BackendException e) {
            rollBack(entry.withResult(result), added > 0, e);
            throw new BackendException(e.kind(), String.format("setting up CNI network \"%s\" for pod %s/%s (sandbox %s): %s",
                    current.name(), request.podNamespace(), request.podName(), sandboxId, e.getMessage()), e);
        }
        PodNetworkStatus status = CniResult.status(current.name(), IF_NAME, result);
        LOG.debug("sandbox {} on CNI network {}: {}", sandboxId, current.name(), status);
        return status;
    }

    /** DEL with exactly what ADD used, in reverse order; nothing to do without a cache file; idempotent. */
    public void tearDown(String sandboxId, Path netns) {
        CniCache.validSandboxId(sandboxId);
        CniCache.Entry entry = cache.read(sandboxId).orElse(null);
        if (entry == null) {
            return;
        }
        if (netns != null) {
            entry = new CniCache.Entry(entry.sandboxId(), entry.networkName(), entry.cniVersion(), entry.config(),
                    entry.result(), entry.ifName(), netns.toString(), entry.podName(), entry.podNamespace(),
                    entry.podUid(), entry.capabilityArgs());
        }
        delete(entry);
        cache.delete(sandboxId);
    }

    /** CHECK through the list with the cached config and result; a no-op before cniVersion 0.4.0 or with disableCheck. */
    public void check(String sandboxId, Path netns) {
        CniCache.validSandboxId(sandboxId);
        CniCache.Entry entry = cache.read(sandboxId).orElseThrow(() -> BackendException.notFound(
                "no CNI network state for sandbox %s", sandboxId));
        CniConfig used = parseCached(entry);
        if (!used.supportsCheck() || used.disableCheck()) {
            return;
        }
        if (entry.result() == null || entry.result().isNull()) {
            throw BackendException.failedPrecondition("CNI ADD of sandbox %s did not complete", sandboxId);
        }
        String ns = netns != null ? netns.toString() : entry.netns();
        CniPlugins.Call call = new CniPlugins.Call(sandboxId, ns, entry.ifName(),
                CniPlugins.cniArgs(entry.podNamespace(), entry.podName(), sandboxId, entry.podUid()));
        for (int i = 0; i < used.plugins().size(); i++) {
            plugins.invoke(used.pluginTypes().get(i), "CHECK", call,
                    used.pluginInput(i, entry.capabilityArgs(), entry.result()));
        }
    }

    /** Stops the watcher. */
    @Override
    public void close() {
        closed = true;
        WatchService service = watchService;
        if (service != null) {
            try {
                service.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        watcher.interrupt();
    }

    /** Wall time spent in plugin processes, for measuring crisp's own overhead. */
    long pluginExecNanos() {
        return plugins.execNanos();
    }

    /** The plugin types of the loaded config, for tests. */
    List<String> pluginTypesForTest() {
        CniConfig current = config;
        return current == null ? List.of() : current.pluginTypes();
    }

    /**
     * DEL through the whole list after a failed ADD. The cache file goes once DEL succeeded, and also when
     * no plugin's ADD had succeeded (a plugin cleans up after its own failed ADD, and a config that fails
     * ADD often fails DEL too, which would otherwise block the pod's removal for ever); it stays when
     * something was added and DEL failed, so that tearDown can retry.
     */
    private void rollBack(CniCache.Entry entry, boolean somethingAdded, BackendException cause) {
        try {
            delete(entry);
            cache.delete(entry.sandboxId());
        } catch (BackendException e) {
            cause.addSuppressed(e);
            if (somethingAdded) {
                LOG.warn("sandbox {}: DEL after the failed ADD failed too, keeping {} for a later tear-down: {}",
                        entry.sandboxId(), cache.file(entry.sandboxId()), e.getMessage());
            } else {
                LOG.warn("sandbox {}: DEL after the failed ADD failed too (nothing was added): {}",
                        entry.sandboxId(), e.getMessage());
                cache.delete(entry.sandboxId());
            }
        }
    }

    /** DEL through every plugin in reverse order; goes on past a failure and throws the first one at the end. */
    private void delete(CniCache.Entry entry) {
        CniConfig used = parseCached(entry);
        Path netnsPath = entry.netns() == null || entry.netns().isEmpty() ? null : Path.of(entry.netns());
        String ns = NetnsPaths.isLiveNetns(netnsPath) ? netnsPath.toString() : "";
        CniPlugins.Call call = new CniPlugins.Call(entry.sandboxId(), ns, entry.ifName(),
                CniPlugins.cniArgs(entry.podNamespace(), entry.podName(), entry.sandboxId(), entry.podUid()));
        JsonNode prevResult = used.supportsCheck() ? entry.result() : null;
        BackendException first = null;
        for (int i = used.plugins().size() - 1; i >= 0; i--) {
            try {
                plugins.invoke(used.pluginTypes().get(i), "DEL", call,
                        used.pluginInput(i, entry.capabilityArgs(), prevResult));
            } catch (BackendException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw new BackendException(first.kind(), String.format("tearing down CNI network \"%s\" of sandbox %s: %s",
                    used.name(), entry.sandboxId(), first.getMessage()), first);
        }
    }

    private static CniConfig parseCached(CniCache.Entry entry) {
        try {
            return CniConfig.fromList(entry.config());
        } catch (IllegalArgumentException e) {
            throw new BackendException(BackendException.Kind.INTERNAL,
                    "CNI cache of sandbox " + entry.sandboxId() + " holds an invalid config: " + e.getMessage());
        }
    }

    private void reload() {
        CniConfig loaded = CniConfigLoader.load(confDir).orElse(null);
        CniConfig previous = config;
        config = loaded;
        if (loaded == null && previous != null) {
            LOG.warn("no valid CNI network config in {} any more", confDir);
        } else if (loaded != null && (previous == null || !previous.json().equals(loaded.json()))) {
            LOG.info("CNI network \"{}\" (cniVersion {}, plugins {}) loaded from {}", loaded.name(),
                    loaded.cniVersion(), loaded.pluginTypes(), confDir);
        }
    }

    private void watch() {
        while (!closed) {
            try (WatchService service = FileSystems.getDefault().newWatchService()) {
                watchService = service;
                if (closed) {
                    return;
                }
                try {
                    confDir.register(service, StandardWatchEventKinds.ENTRY_CREATE,
                            StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY);
                } catch (IOException e) {
                    Thread.sleep(1000); // the dir does not exist yet: look again
                    reload();
                    continue;
                }
                reload(); // what changed between the first load and register
                while (!closed) {
                    WatchKey key = service.take();
                    Thread.sleep(50); // let a writer finish its burst of events
                    key.pollEvents();
                    boolean valid = key.reset();
                    for (WatchKey more = service.poll(); more != null; more = service.poll()) {
                        more.pollEvents();
                        more.reset();
                    }
                    reload();
                    if (!valid) {
                        break; // the dir was removed: register again once it is back
                    }
                }
            } catch (ClosedWatchServiceException | InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.warn("CNI conf dir watcher for {}: {}", confDir, e.toString());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }
}
