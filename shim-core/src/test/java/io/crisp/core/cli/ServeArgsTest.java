package io.crisp.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.config.ConfigKey;
import io.crisp.core.config.CrispConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code crisp serve}'s command line read without picocli means what picocli makes of it, or goes to picocli. */
final class ServeArgsTest {
    @TempDir
    Path dir;

    private static CrispConfig throughPicocli(String... args) {
        CommandLine cli = Main.commandLine(args);
        CommandLine.ParseResult parsed = cli.parseArgs(args);
        return ConfigFlags.load(parsed.subcommand().commandSpec());
    }

    private static CrispConfig direct(String... args) {
        Optional<Map<String, String>> flags = ServeArgs.read(args);
        assertTrue(flags.isPresent(), "read without picocli: " + List.of(args));
        return ConfigFlags.load(flags.get());
    }

    @Test
    void aServiceManagersCommandLineLoadsTheSameConfigurationAsThroughPicocli() throws IOException {
        Path config = dir.resolve("crisp.toml");
        Files.writeString(config, "log_level = \"warn\"\n[runtimes.runc]\nplugin = \"runc\"\n");
        Path dropIns = dir.resolve("drop-ins");
        Files.createDirectories(dropIns);
        Files.writeString(dropIns.resolve("10-level.toml"), "log_level = \"debug\"\n");
        List<String[]> lines = List.of(
                new String[] {"serve"},
                new String[] {"serve", "--config", config.toString()},
                new String[] {"serve", "--config=" + config, "--config-dir", dropIns.toString(), "--root", dir.resolve("root").toString()},
                new String[] {"serve", "--config", config.toString(), "--listen=unix://" + dir.resolve("c.sock"), "--state",
                    dir.resolve("state").toString(), "--log-level", "error"});
        for (String[] args : lines) {
            assertEquals(throughPicocli(args), direct(args), List.of(args).toString());
        }
        CrispConfig flagged = direct("serve", "--config", config.toString(), "--config-dir", dropIns.toString(), "--log-level", "info");
        assertEquals("info", flagged.get(ConfigKey.LOG_LEVEL), "a flag outranks the files");
        assertEquals("debug", direct("serve", "--config", config.toString(), "--config-dir", dropIns.toString()).get(ConfigKey.LOG_LEVEL),
                "a drop-in outranks the main file");
    }

    @Test
    void everythingElseIsLeftToPicocli() {
        for (String[] args : List.of(
                new String[] {"serve", "--help"},
                new String[] {"serve", "-h"},
                new String[] {"serve", "--version"},
                new String[] {"serve", "--no-such-flag", "x"},
                new String[] {"serve", "--root"},
                new String[] {"serve", "--root", "/a", "--root", "/b"},
                new String[] {"serve", "--root", "--state"},
                new String[] {"serve", "--root=-x"},
                new String[] {"serve", "@/etc/crisp/args"},
                new String[] {"serve", "--config", "@args"},
                new String[] {"config", "--root", "/a"},
                new String[] {})) {
            assertEquals(Optional.empty(), ServeArgs.read(args), List.of(args).toString());
        }
    }
}
