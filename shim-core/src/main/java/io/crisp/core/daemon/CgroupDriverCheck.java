package io.crisp.core.daemon;

import io.crisp.core.config.ConfigException;
import io.crisp.core.config.CrispConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * {@code cgroup_driver = "systemd"} needs systemd as the init system: runc then asks systemd over
 * D-Bus for a scope per container. Without it every pod would fail with runc's "systemd not running
 * on this host", so the daemon refuses to start instead, saying why. The test is systemd's own
 * ({@code sd_booted(3)}): the directory {@code /run/systemd/system} exists only while systemd runs
 * as PID 1.
 */
final class CgroupDriverCheck {
    private final Path runSystemdSystem;
    private final Path pid1Comm;

    CgroupDriverCheck(Path runSystemdSystem, Path pid1Comm) {
        this.runSystemdSystem = runSystemdSystem;
        this.pid1Comm = pid1Comm;
    }

    static CgroupDriverCheck system() {
        return new CgroupDriverCheck(Path.of("/run/systemd/system"), Path.of("/proc/1/comm"));
    }

    /** @throws ConfigException when the systemd driver is configured and systemd is not PID 1 */
    void check(CrispConfig config) {
        if (!config.cgroupDriver().equals("systemd") || Files.isDirectory(runSystemdSystem)) {
            return;
        }
        String from = config.sources().isEmpty() ? "" : " (read from "
                + config.sources().stream().map(Path::toString).collect(Collectors.joining(", ")) + ")";
        throw new ConfigException("table [runtime] key 'cgroup_driver'" + from + ": \"systemd\" needs systemd as the"
                + " init system, but PID 1 is '" + pid1() + "' and " + runSystemdSystem + " does not exist; set"
                + " cgroup_driver = \"cgroupfs\" here and cgroupDriver: cgroupfs in the kubelet's configuration");
    }

    private String pid1() {
        try {
            return Files.readString(pid1Comm).trim();
        } catch (IOException e) {
            return "unknown (" + pid1Comm + ": " + e.getMessage() + ")";
        }
    }
}
