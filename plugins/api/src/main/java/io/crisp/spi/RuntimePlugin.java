package io.crisp.spi;

import java.util.Map;
import java.util.Set;
import org.pf4j.ExtensionPoint;

/**
 * The entry point of a backend plugin: a factory of {@link RuntimeBackend}s, one per runtime handler
 * that names this plugin in its {@code [runtimes.NAME]} table. A plugin JAR holds exactly one
 * {@code @Extension} implementing this interface.
 *
 * <p>The core resolves the extension once per plugin and calls {@link #create} once per handler; it
 * keeps the backend until the handler is removed from the configuration and its last pod is gone,
 * then closes it. Two handlers naming the same plugin (say {@code kata-qemu} and {@code kata-clh})
 * get two backends with their own options.
 */
public interface RuntimePlugin extends ExtensionPoint {
    /**
     * Creates the backend for one handler. Parse and validate {@code config.options()} here, with
     * {@link HandlerConfig#reader()}, and throw {@link BackendException.Kind#INVALID_ARGUMENT} naming
     * the table and key on a bad or unknown key: the daemon then refuses to start (or a reload is
     * refused and the old handler table stays). Do not fail because a binary is missing on this
     * node; report that through {@link RuntimeBackend#nodeChecks()} (SPI 1.3) or
     * {@link RuntimeBackend#health()} instead.
     *
     * <p>Called from one thread at a time; may be slow (probe binaries), but should finish within
     * seconds.
     */
    RuntimeBackend create(HandlerConfig config, RuntimeContext context);

    /**
     * The options this plugin uses when a key is absent, for {@code crisp config --default}. Keys
     * as in TOML; values are strings, numbers, booleans or lists.
     *
     * <p>It may also give this plugin's defaults of the generic keys the core reads and never passes
     * to {@link #create} ({@code pod_annotations}, {@code container_annotations},
     * {@code privileged_without_host_devices}, {@code vm_annotations}, {@code ignore_image_defined_volumes};
     * SPI 1.2): the kata plugin
     * gives {@code pod_annotations = ["io.katacontainers.*"]}.
     */
    default Map<String, Object> defaultOptions() {
        return Map.of();
    }

    /** Option keys whose values are secrets: the core masks them wherever it prints configuration. */
    default Set<String> sensitiveKeys() {
        return Set.of();
    }
}
