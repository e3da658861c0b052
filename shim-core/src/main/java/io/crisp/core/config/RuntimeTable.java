package io.crisp.core.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One {@code [runtimes.NAME]} table: a handler name, the plugin that serves it, and the rest of the
 * table for the plugin to validate.
 *
 * @param source the file that last set a key of this table; empty for the built-in default
 */
public record RuntimeTable(String name, String plugin, Map<String, Object> options, Optional<Path> source) {
    public RuntimeTable {
        requireNonNull(name, "name is null");
        requireNonNull(plugin, "plugin is null");
        options = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(options, "options is null")));
        requireNonNull(source, "source is null");
    }

    /** Where this table came from, for error messages: {@code [runtimes.kata] in /etc/crisp/crisp.toml}. */
    public String origin() {
        return "[runtimes." + name + "]" + source.map(p -> " in " + p).orElse(" (built-in default)");
    }
}
