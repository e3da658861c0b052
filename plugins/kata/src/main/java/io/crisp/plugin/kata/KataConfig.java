package io.crisp.plugin.kata;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.BackendException;
import io.crisp.spi.HandlerConfig;
import io.crisp.spi.HandlerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Options of a shim v2 handler, one {@code [runtimes.NAME]} table with {@code plugin = "kata"}.
 *
 * @param shimPath the shim binary: an absolute path, or a name looked up on PATH (then in
 *     /opt/kata/bin) when the handler is created
 * @param shimConfigPath the runtime's configuration file (Kata's configuration.toml), passed to the
 *     shim as containerd does: {@code KATA_CONF_FILE} in its environment and runtimeoptions
 *     {@code config_path} in the sandbox's create request
 * @param shimCgroup a cgroup (path below each hierarchy's root) every shim process is moved into
 *     after it started, so its memory is accounted there rather than to the daemon
 *
 * <p>{@code pod_annotations}, {@code container_annotations} and {@code privileged_without_host_devices}
 * are generic handler keys: the core reads them and applies them to the specs before the bundle gets
 * here; this plugin only gives the default of {@code pod_annotations} ({@link KataPlugin#defaultOptions}).
 */
public record KataConfig(Path shimPath, Optional<Path> shimConfigPath, Optional<String> shimCgroup) {
    static final String DEFAULT_SHIM = "containerd-shim-kata-v2";
    static final List<String> DEFAULT_POD_ANNOTATIONS = List.of("io.katacontainers.*");
    private static final List<Path> EXTRA_SEARCH_DIRS = List.of(Path.of("/opt/kata/bin"));

    public KataConfig {
        requireNonNull(shimPath, "shimPath is null");
        requireNonNull(shimConfigPath, "shimConfigPath is null");
        requireNonNull(shimCgroup, "shimCgroup is null");
    }

    public static KataConfig defaults() {
        return new KataConfig(Path.of(DEFAULT_SHIM), Optional.empty(), Optional.empty());
    }

    /** Reads the table strictly: a wrong type or an unknown key fails, naming table and key. */
    public static KataConfig parse(HandlerConfig config) {
        HandlerOptions options = config.reader();
        String shim = options.string("shim_path", DEFAULT_SHIM);
        String shimConfigText = options.string("shim_config_path", "");
        String cgroup = options.string("shim_cgroup", "");
        options.finish();
        if (shim.isBlank()) {
            throw BackendException.invalidArgument("%s key 'shim_path': must name the shim binary", config.table());
        }
        Optional<Path> shimConfig = Optional.empty();
        if (!shimConfigText.isEmpty()) {
            if (!shimConfigText.startsWith("/")) {
                throw BackendException.invalidArgument("%s key 'shim_config_path': expected an absolute path, got \"%s\"",
                        config.table(), shimConfigText);
            }
            shimConfig = Optional.of(Path.of(shimConfigText).normalize());
        }
        if (!cgroup.isEmpty() && (!cgroup.startsWith("/") || cgroup.contains(".."))) {
            throw BackendException.invalidArgument("%s key 'shim_cgroup': expected an absolute cgroup path without '..',"
                    + " got \"%s\"", config.table(), cgroup);
        }
        return new KataConfig(Path.of(shim), shimConfig, cgroup.isEmpty() ? Optional.empty() : Optional.of(cgroup));
    }

    /**
     * The shim binary to run: {@link #shimPath()} when absolute, else the first executable of that
     * name on PATH or in /opt/kata/bin; empty when there is none.
     */
    public Optional<Path> resolveShim() {
        if (shimPath.isAbsolute()) {
            return Files.isExecutable(shimPath) ? Optional.of(shimPath) : Optional.empty();
        }
        String pathEnv = System.getenv().getOrDefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : pathEnv.split(":")) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir).resolve(shimPath);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        for (Path dir : EXTRA_SEARCH_DIRS) {
            Path candidate = dir.resolve(shimPath);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    public Map<String, Object> toOptions() {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("shim_path", shimPath.toString());
        options.put("shim_config_path", shimConfigPath.map(Path::toString).orElse(""));
        options.put("shim_cgroup", shimCgroup.orElse(""));
        return options;
    }
}
