package io.crisp.core.plugin;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/** A JAR in the plugins directory that could not be loaded, and why; reported in Status. */
public record PluginProblem(Path jar, String message) {
    public PluginProblem {
        requireNonNull(jar, "jar is null");
        requireNonNull(message, "message is null");
    }
}
