package io.crisp.plugin.runc;

import static java.util.Objects.requireNonNull;

import io.crisp.plugin.kit.conmon.OciCliConfig;
import io.crisp.spi.HandlerConfig;
import io.crisp.spi.HandlerOptions;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Options of a runc handler, one {@code [runtimes.NAME]} table with {@code plugin = "runc"}. The same
 * plugin drives any OCI runtime CLI (runc, crun, runsc) through {@code runtime_path}.
 *
 * <p>{@code runtime_type} is reserved: only {@code "oci"} (an OCI runtime CLI) is accepted today.
 *
 * @param runtimePath the OCI runtime binary
 * @param runtimeRoot the runtime's own state directory ({@code --root}): by default {@code runc} in the
 *     daemon's state directory, so it follows {@code state} and two daemons never share it
 * @param monitorPath conmon, the per-container monitor that holds stdio and writes the CRI log
 * @param criuPath CRIU, which runc checkpoints and restores with ({@code --criu}); Debian's package puts it
 *     at {@code /usr/sbin/criu}. A checkpoint with a CRIU that is missing or fails {@code criu check}
 *     here answers FAILED_PRECONDITION with what fails.
 *
 * <p>{@code vm_annotations} (CRI-O's keys for legacy VM runtimes) and the other generic handler keys
 * are the core's: it applies them to config.json before the bundle gets here.
 */
public record RuncConfig(Path runtimePath, Path runtimeRoot, Path monitorPath, Path criuPath) {
    static final Path DEFAULT_RUNTIME = Path.of("/usr/sbin/runc");
    static final Path DEFAULT_MONITOR = Path.of("/usr/bin/conmon");
    static final Path DEFAULT_CRIU = Path.of("/usr/sbin/criu");

    public RuncConfig {
        requireNonNull(runtimePath, "runtimePath is null");
        requireNonNull(runtimeRoot, "runtimeRoot is null");
        requireNonNull(monitorPath, "monitorPath is null");
        requireNonNull(criuPath, "criuPath is null");
    }

    /** With Debian's CRIU. */
    public RuncConfig(Path runtimePath, Path runtimeRoot, Path monitorPath) {
        this(runtimePath, runtimeRoot, monitorPath, DEFAULT_CRIU);
    }

    /** The defaults of a handler whose state directory is {@code handlerStateDir}. */
    public static RuncConfig defaults(Path handlerStateDir) {
        return new RuncConfig(DEFAULT_RUNTIME, defaultRoot(handlerStateDir), DEFAULT_MONITOR);
    }

    /**
     * {@code runc} in the daemon's state directory: {@code /run/crisp/runc} for the default state, as
     * before (an upgraded daemon still finds the containers runc holds there), {@code X/runc} for
     * {@code --state X}. The core gives each handler {@code <state>/runtimes/<handler>}; a handler
     * state directory laid out otherwise keeps runc's state inside it.
     */
    static Path defaultRoot(Path handlerStateDir) {
        Path runtimes = handlerStateDir.getParent();
        if (runtimes != null && runtimes.getFileName() != null && runtimes.getFileName().toString().equals("runtimes")
                && runtimes.getParent() != null) {
            return runtimes.getParent().resolve("runc");
        }
        return handlerStateDir.resolve("runc");
    }

    /** Reads the table strictly: a wrong type or an unknown key fails, naming table and key. */
    public static RuncConfig parse(HandlerConfig config) {
        HandlerOptions options = config.reader();
        String runtimeType = options.string("runtime_type", "oci");
        if (!runtimeType.equals("oci")) {
            throw new io.crisp.spi.BackendException(io.crisp.spi.BackendException.Kind.INVALID_ARGUMENT, config.table()
                    + ": runtime_type \"" + runtimeType + "\" is reserved for a later release; the runc plugin drives an OCI runtime CLI (\"oci\")");
        }
        RuncConfig parsed = new RuncConfig(
                options.path("runtime_path", DEFAULT_RUNTIME),
                options.path("runtime_root", defaultRoot(config.stateDir())),
                options.path("monitor_path", DEFAULT_MONITOR),
                options.path("criu_path", DEFAULT_CRIU));
        options.finish();
        return parsed;
    }

    /** What the kit's conmon backend drives: this runtime, its root and conmon. */
    public OciCliConfig toCli() {
        return new OciCliConfig(runtimePath, runtimeRoot, monitorPath).withCriu(criuPath);
    }

    public Map<String, Object> toOptions() {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("runtime_type", "oci");
        options.put("runtime_path", runtimePath.toString());
        options.put("runtime_root", runtimeRoot.toString());
        options.put("monitor_path", monitorPath.toString());
        options.put("criu_path", criuPath.toString());
        return options;
    }
}
