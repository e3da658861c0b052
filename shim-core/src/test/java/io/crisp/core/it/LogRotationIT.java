package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.cri.v1.VersionRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without systemd the daemon's log grows forever unless crisp rotates it: with {@code log_file} set,
 * the daemon writes that file itself, renames it to {@code .1} (and on) at {@code log_max_size}, and
 * keeps {@code log_max_files} rotated files.
 */
final class LogRotationIT {
    @TempDir
    Path dir;

    @Test
    void theLogFileIsRotatedBySizeKeepingTheConfiguredNumberOfFiles() throws IOException {
        try (DaemonProcess daemon = new DaemonProcess(dir)) {
            Path log = dir.resolve("logs/crisp.log");
            daemon.writeDropIn("10-log.toml", """
                    log_level = "debug"
                    log_file = "%s"
                    log_max_size = 4096
                    log_max_files = 2
                    """.formatted(log));
            daemon.start();
            // Debug logs one line per RPC: enough calls to fill several 4 KiB files.
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!Files.exists(dir.resolve("logs/crisp.log.2")) && System.nanoTime() < deadline) {
                for (int i = 0; i < 50; i++) {
                    daemon.client().runtime().version(VersionRequest.getDefaultInstance());
                }
            }
            for (int i = 0; i < 2000; i++) { // and more, so the oldest rotated file has to go
                daemon.client().runtime().version(VersionRequest.getDefaultInstance());
            }
            assertTrue(Files.exists(dir.resolve("logs/crisp.log.1")), "rotated once: " + listing());
            assertTrue(Files.exists(dir.resolve("logs/crisp.log.2")), "rotated twice: " + listing());
            assertFalse(Files.exists(dir.resolve("logs/crisp.log.3")), "only log_max_files = 2 are kept: " + listing());
            assertTrue(Files.readString(log).contains("Version"), "the live file gets the newest lines");
            // The size is checked once a second, so a file overshoots by at most a second's worth of lines.
            assertTrue(Files.size(dir.resolve("logs/crisp.log.1")) < 1 << 20, listing());
            assertFalse(daemon.logs().contains("Version"), "RPC lines go to log_file, not to stderr");
            Crisp.Run status = Crisp.run(List.of("status", "--listen", "unix://" + daemon.socket));
            assertEquals(0, status.exitCode(), status.all());
            assertTrue(status.stdout().contains(", log " + log + " (rotated at 4.0 KiB, 2 kept)"), status.stdout());
        }
    }

    @Test
    void aRelativeLogFileIsRefusedNamingTheKey() {
        try (DaemonProcess daemon = new DaemonProcess(dir)) {
            daemon.spawn("--log-file", "crisp.log");
            assertEquals(2, daemon.waitForExit(java.time.Duration.ofSeconds(30)), daemon.logs());
            assertTrue(daemon.logs().contains("log_file': expected an absolute path"), daemon.logs());
        }
    }

    private String listing() {
        try (var files = Files.list(dir.resolve("logs"))) {
            return files.map(f -> f.getFileName() + "=" + f.toFile().length()).sorted().toList().toString();
        } catch (IOException e) {
            return e.toString();
        }
    }
}
