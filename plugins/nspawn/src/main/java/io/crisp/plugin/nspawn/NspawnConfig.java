package io.crisp.plugin.nspawn;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.HandlerConfig;
import io.crisp.spi.HandlerOptions;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Options of an nspawn handler, one {@code [runtimes.NAME]} table with {@code plugin = "nspawn"}.
 *
 * @param nspawnPath systemd-nspawn (package systemd-container)
 * @param monitorPath conmon, the per-app monitor that holds stdio and writes the CRI log
 * @param capshPath capsh (package libcap2-bin): sets an app's user, groups, capabilities and no_new_privs
 * @param busyboxPath a static busybox, run inside an app's root by its launch
 * @param initPath the static init of every pod machine (catatonit, run as {@code init -P})
 */
public record NspawnConfig(Path nspawnPath, Path monitorPath, Path capshPath, Path busyboxPath, Path initPath) {
    static final Path DEFAULT_NSPAWN = Path.of("/usr/bin/systemd-nspawn");
    static final Path DEFAULT_MONITOR = Path.of("/usr/bin/conmon");
    static final Path DEFAULT_CAPSH = Path.of("/usr/sbin/capsh");
    static final Path DEFAULT_BUSYBOX = Path.of("/bin/busybox");
    static final Path DEFAULT_INIT = Path.of("/usr/bin/catatonit");

    public NspawnConfig {
        requireNonNull(nspawnPath, "nspawnPath is null");
        requireNonNull(monitorPath, "monitorPath is null");
        requireNonNull(capshPath, "capshPath is null");
        requireNonNull(busyboxPath, "busyboxPath is null");
        requireNonNull(initPath, "initPath is null");
    }

    public static NspawnConfig defaults() {
        return new NspawnConfig(DEFAULT_NSPAWN, DEFAULT_MONITOR, DEFAULT_CAPSH, DEFAULT_BUSYBOX, DEFAULT_INIT);
    }

    /** Reads the table strictly: a wrong type or an unknown key fails, naming table and key. */
    public static NspawnConfig parse(HandlerConfig config) {
        HandlerOptions options = config.reader();
        NspawnConfig parsed = new NspawnConfig(
                options.path("nspawn_path", DEFAULT_NSPAWN),
                options.path("monitor_path", DEFAULT_MONITOR),
                options.path("capsh_path", DEFAULT_CAPSH),
                options.path("busybox_path", DEFAULT_BUSYBOX),
                options.path("init_path", DEFAULT_INIT));
        options.finish();
        return parsed;
    }

    public Map<String, Object> toOptions() {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("nspawn_path", nspawnPath.toString());
        options.put("monitor_path", monitorPath.toString());
        options.put("capsh_path", capshPath.toString());
        options.put("busybox_path", busyboxPath.toString());
        options.put("init_path", initPath.toString());
        return options;
    }
}
