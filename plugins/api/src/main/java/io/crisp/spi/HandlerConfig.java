package io.crisp.spi;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One runtime handler's configuration, as the core read it from a {@code [runtimes.NAME]} table.
 *
 * @param handlerName the handler's name: what a RuntimeClass puts in {@code handler}
 * @param pluginId the pf4j plugin that serves it ({@code plugin = "..."})
 * @param options every other key of the table, as parsed from TOML: strings, numbers, booleans,
 *     lists and nested maps. Only the plugin knows these keys; read them with {@link HandlerOptions},
 *     which rejects keys it was not asked for.
 * @param rootDir persistent directory the handler may use, kept across reboots
 * @param stateDir runtime directory the handler may use, on tmpfs, gone after a reboot
 */
public record HandlerConfig(String handlerName, String pluginId, Map<String, Object> options, Path rootDir, Path stateDir) {
    public HandlerConfig {
        requireNonNull(handlerName, "handlerName is null");
        requireNonNull(pluginId, "pluginId is null");
        requireNonNull(rootDir, "rootDir is null");
        requireNonNull(stateDir, "stateDir is null");
        // Keep the table's key order (it is printed back), and make it read-only.
        options = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(options, "options is null")));
    }

    /** The TOML table this configuration came from, for error messages: {@code [runtimes.NAME]}. */
    public String table() {
        return "[runtimes." + handlerName + "]";
    }

    /** A reader of {@link #options()} that names this handler's table in its errors. */
    public HandlerOptions reader() {
        return new HandlerOptions(table(), options);
    }
}
