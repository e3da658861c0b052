package io.crisp.core.plugin;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.RuntimePlugin;
import java.nio.file.Path;

/**
 * A plugin JAR that loaded and started, with its one {@link RuntimePlugin} extension, resolved once
 * and kept (pf4j would create a new instance on every lookup).
 */
public record LoadedPlugin(String id, String version, String description, String requires, Path jar, RuntimePlugin extension) {
    public LoadedPlugin {
        requireNonNull(id, "id is null");
        requireNonNull(version, "version is null");
        requireNonNull(description, "description is null");
        requireNonNull(requires, "requires is null");
        requireNonNull(jar, "jar is null");
        requireNonNull(extension, "extension is null");
    }
}
