package io.crisp.plugin.lxc;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.HandlerConfig;
import io.crisp.spi.HandlerOptions;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Options of an lxc handler, one {@code [runtimes.NAME]} table with {@code plugin = "lxc"}.
 *
 * @param monitorPath conmon, which supervises each LXC container through the plugin's adapter
 * @param lxcPath LXC's container path ({@code -P}): by default {@code lxc} in the handler's state
 *     directory, so two handlers or two daemons never see each other's containers
 * @param lxcBinDir where lxc-execute, lxc-attach and lxc-info are (put first on the adapter's PATH)
 */
public record LxcConfig(Path monitorPath, Path lxcPath, Path lxcBinDir) {
    static final Path DEFAULT_MONITOR = Path.of("/usr/bin/conmon");
    static final Path DEFAULT_BIN_DIR = Path.of("/usr/bin");

    public LxcConfig {
        requireNonNull(monitorPath, "monitorPath is null");
        requireNonNull(lxcPath, "lxcPath is null");
        requireNonNull(lxcBinDir, "lxcBinDir is null");
    }

    static LxcConfig defaults(Path handlerStateDir) {
        return new LxcConfig(DEFAULT_MONITOR, handlerStateDir.resolve("lxc"), DEFAULT_BIN_DIR);
    }

    /** Reads the table strictly: a wrong type or an unknown key fails, naming table and key. */
    public static LxcConfig parse(HandlerConfig config) {
        HandlerOptions options = config.reader();
        LxcConfig parsed = new LxcConfig(
                options.path("monitor_path", DEFAULT_MONITOR),
                options.path("lxc_path", config.stateDir().resolve("lxc")),
                options.path("lxc_bin_dir", DEFAULT_BIN_DIR));
        options.finish();
        return parsed;
    }

    public Map<String, Object> toOptions() {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("monitor_path", monitorPath.toString());
        options.put("lxc_path", lxcPath.toString());
        options.put("lxc_bin_dir", lxcBinDir.toString());
        return options;
    }
}
