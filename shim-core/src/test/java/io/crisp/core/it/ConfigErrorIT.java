package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A configuration the daemon refuses stops startup with exit code 2 and a message naming file, table and key. */
final class ConfigErrorIT {
    @TempDir
    Path dir;

    private static String refused(DaemonProcess daemon, String... flags) {
        daemon.spawn(flags);
        assertEquals(2, daemon.waitForExit(Duration.ofSeconds(30)), daemon.logs());
        assertFalse(Files.exists(daemon.socket), "a refused daemon must not leave a socket");
        return daemon.logs();
    }

    @Test
    void unknownKeyInADropInNamesTheDropInTableAndKey() {
        try (DaemonProcess daemon = new DaemonProcess(dir)) {
            daemon.writeDropIn("10-api.toml", "[api]\nlisten_address = \"unix:///tmp/x.sock\"\n");
            String log = refused(daemon);
            assertTrue(log.contains(daemon.dropIns.resolve("10-api.toml") + ": table [api]: unknown key 'listen_address'"), log);
        }
    }

    @Test
    void wrongTypeNamesFileTableKeyAndExpectation() {
        try (DaemonProcess daemon = new DaemonProcess(dir)) {
            daemon.writeConfig("[runtime]\ncgroup_driver = \"cgroupv3\"\n");
            String log = refused(daemon);
            assertTrue(log.contains(daemon.config + ": table [runtime] key 'cgroup_driver': expected one of cgroupfs, systemd"), log);
        }
    }

    @Test
    void systemdCgroupDriverWithoutSystemdAsPid1IsRefused() throws Exception {
        assertFalse(Files.isDirectory(Path.of("/run/systemd/system")),
                "this test needs a host where systemd is not PID 1 (as the CI machine); /run/systemd/system exists");
        try (DaemonProcess daemon = new DaemonProcess(dir)) {
            daemon.writeConfig("[runtime]\ncgroup_driver = \"systemd\"\n");
            String log = refused(daemon);
            String pid1 = Files.readString(Path.of("/proc/1/comm")).trim();
            assertTrue(log.contains("table [runtime] key 'cgroup_driver' (read from " + daemon.config + "): \"systemd\" needs"
                    + " systemd as the init system, but PID 1 is '" + pid1 + "' and /run/systemd/system does not exist; set"
                    + " cgroup_driver = \"cgroupfs\" here and cgroupDriver: cgroupfs in the kubelet's configuration"), log);
        }
    }

    @Test
    void brokenTomlNamesTheFile() {
        try (DaemonProcess daemon = new DaemonProcess(dir)) {
            daemon.writeConfig("[runtime\ndefault_runtime = \"runc\"\n");
            String log = refused(daemon);
            assertTrue(log.contains(daemon.config + ":1:") && log.contains("([runtime): not valid TOML"),
                    "file, line, column and the line: " + log);
        }
    }

    @Test
    void handlerNamingAMissingPluginIsRefused() {
        try (DaemonProcess daemon = new DaemonProcess(dir)) {
            daemon.writeConfig("[runtimes.kata]\nplugin = \"kata\"\n[runtimes.runc]\nplugin = \"runc\"\n");
            String log = refused(daemon);
            assertTrue(log.contains("[runtimes.kata] in " + daemon.config + " key 'plugin': no plugin 'kata' is loaded from " + daemon.plugins
                    + " (loaded plugins: runc)"), log);
        }
    }

    @Test
    void keyThePluginDoesNotKnowIsRefusedByThePluginNamingTheTable() {
        try (DaemonProcess daemon = new DaemonProcess(dir)) {
            daemon.writeConfig("[runtimes.runc]\nplugin = \"runc\"\nruntime = \"/usr/bin/crun\"\n");
            String log = refused(daemon);
            assertTrue(log.contains("[runtimes.runc] in " + daemon.config + ": [runtimes.runc]: unknown key 'runtime'"), log);
        }
    }

    @Test
    void defaultRuntimeWithoutATableIsRefused() {
        try (DaemonProcess daemon = new DaemonProcess(dir)) {
            String log = refused(daemon, "--default-runtime", "kata");
            assertTrue(log.contains("table [runtime] key 'default_runtime': handler 'kata' has no [runtimes.kata] table"), log);
        }
    }

    @Test
    void badFlagValueNamesTheFlag() {
        try (DaemonProcess daemon = new DaemonProcess(dir)) {
            String log = refused(daemon, "--log-level", "loud");
            assertTrue(log.contains("flag --log-level: expected one of trace, debug, info, warn, error, got \"loud\""), log);
        }
    }
}
