package io.crisp.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.client.cli.ClientEndpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The one launcher: daemon and client commands side by side, each with the configuration flags. */
final class LauncherTest {
    private static String help(String... args) {
        CommandLine cli = Main.commandLine(args);
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        assertEquals(0, cli.execute(args));
        return out.toString();
    }

    @Test
    void clientCommandsGetTheConfigFlagsAndTheLaunchersName() {
        String pods = help("pods", "--help");
        assertTrue(pods.contains("Usage: crisp pods"), pods);
        assertTrue(pods.contains("--host-network"), pods);
        assertTrue(pods.contains("--listen"), pods);
        String containers = help("containers", "--help");
        assertTrue(containers.contains("Usage: crisp containers"), containers);
        assertTrue(containers.contains("exec ID"), containers);
        assertTrue(containers.contains("--config"), containers);
    }

    @Test
    void theFullCommandLineListsDaemonAndClientCommands() {
        CommandLine cli = Main.commandLine();
        for (String name : List.of("serve", "config", "plugins", "reload", "stop", "version", "cds-warmup", "pods", "containers", "images",
                "status")) {
            assertTrue(cli.getSubcommands().containsKey(name), name);
        }
        assertTrue(cli.getSubcommands().get("pods").getCommandSpec().findOption("--listen") != null);
        assertTrue(cli.getSubcommands().get("status").getCommandSpec().findOption("--config") != null);
    }

    @Test
    void unknownActionsAreRefused() {
        String[] args = {"pods", "frobnicate"};
        CommandLine cli = Main.commandLine(args);
        cli.setErr(new PrintWriter(new StringWriter()));
        assertEquals(Main.EXIT_CONFIG, cli.execute(args));
    }

    /** The client finds the socket through the daemon's configuration reader, registered as a service. */
    @Test
    void clientCommandsReadTheSocketFromTheDaemonsConfiguration(@TempDir Path dir) throws IOException {
        assertEquals(List.of(DaemonConfigListen.class),
                ServiceLoader.load(ClientEndpoint.ConfiguredListen.class).stream().map(ServiceLoader.Provider::type).toList());
        String[] args = {"pods", "ls", "--listen", "unix:///tmp/crisp-launcher-test/given.sock"};
        CommandLine cli = Main.commandLine(args);
        cli.parseArgs(args);
        ClientEndpoint given = ClientEndpoint.resolve(cli.getSubcommands().get("pods").getCommandSpec());
        assertEquals(Path.of("/tmp/crisp-launcher-test/given.sock"), given.socket());
        Path config = dir.resolve("crisp.toml");
        Files.writeString(config, "[api]\nlisten = \"unix:///tmp/crisp-launcher-test/configured.sock\"\n");
        String[] noListen = {"pods", "ls", "--config", config.toString()};
        CommandLine fromConfig = Main.commandLine(noListen);
        fromConfig.parseArgs(noListen);
        assertEquals("unix:///tmp/crisp-launcher-test/configured.sock",
                new DaemonConfigListen().listen(fromConfig.getSubcommands().get("pods").getCommandSpec()));
        Files.writeString(config, "[api]\nlisten = \"tcp://127.0.0.1:9\"\n");
        var refused = assertThrows(IllegalArgumentException.class,
                () -> new DaemonConfigListen().listen(fromConfig.getSubcommands().get("pods").getCommandSpec()));
        assertTrue(refused.getMessage().contains("listen"), refused.getMessage());
    }
}
