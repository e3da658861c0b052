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
 * @param podAnnotations globs of pod annotations passed into the sandbox's and containers' specs;
 *     every other annotation the pod's user set is removed before the shim sees the spec
 * @param shimCgroup a cgroup (path below each hierarchy's root) every shim process is moved into
 *     after it started, so its memory is accounted there rather than to the daemon
 * @param privilegedWithoutHostDevices privileged containers get no host devices (a VM's devices
 *     are not the host's)
 */
public record KataConfig(Path shimPath, Optional<Path> shimConfigPath, List<String> podAnnotations,
        Optional<String> shimCgroup, boolean privilegedWithoutHostDevices) {
    static final String DEFAULT_SHIM = "containerd-shim-kata-v2";
    static final List<String> DEFAULT_POD_ANNOTATIONS = List.of("io.katacontainers.*");
    private static final List<Path> EXTRA_SEARCH_DIRS = List.of(Path.of("/opt/kata/bin"));

    public KataConfig {
        requireNonNull(shimPath, "shimPath is null");
        requireNonNull(shimConfigPath, "shimConfigPath is null");
        podAnnotations = List.copyOf(requireNonNull(podAnnotations, "podAnnotations is null"));
        requireNonNull(shimCgroup, "shimCgroup is null");
    }

    public static KataConfig defaults() {
        return new KataConfig(Path.of(DEFAULT_SHIM), Optional.empty(), DEFAULT_POD_ANNOTATIONS, Optional.empty(), false);
    }

    /** Reads the table strictly: a wrong type or an unknown key fails, naming table and key. */
    public static KataConfig parse(HandlerConfig config) {
        HandlerOptions options = config.reader();
        String shim = options.string("shim_path", DEFAULT_SHIM);
        String shimConfigText = options.string("shim_config_path", "");
        List<String> globs = options.stringList("pod_annotations", DEFAULT_POD_ANNOTATIONS);
        String cgroup = options.string("shim_cgroup", "");
        boolean noHostDevices = options.bool("privileged_without_host_devices", false);
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
        for (String glob : globs) {
            if (glob.isBlank()) {
                throw BackendException.invalidArgument("%s key 'pod_annotations': empty pattern", config.table());
            }
        }
        return new KataConfig(Path.of(shim), shimConfig, globs, cgroup.isEmpty() ? Optional.empty() : Optional.of(cgroup),
                noHostDevices);
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
        options.put("pod_annotations", podAnnotations);
        options.put("shim_cgroup", shimCgroup.orElse(""));
        options.put("privileged_without_host_devices", privilegedWithoutHostDevices);
        return options;
    }
}
