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
        assertTrue(containers.contains("  exec  "), containers);
        String logs = help("containers", "logs", "--help");
        assertTrue(logs.startsWith("Usage: crisp containers logs"), logs);
        assertTrue(containers.contains("--config"), containers);
    }

    @Test
    void theFullCommandLineListsDaemonAndClientCommands() {
        CommandLine cli = Main.commandLine();
        for (String name : List.of("serve", "config", "doctor", "plugins", "reload", "stop", "version", "cds-warmup", "pods", "containers", "images",
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

    /** Runs the launcher's command line as main would, with stdout and stderr captured. */
    private record Outcome(int code, String out, String err) {}

    private static Outcome execute(String... args) {
        CommandLine cli = Main.commandLine(args);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Outcome(code, out.toString(), err.toString());
    }

    @Test
    void everyCommandsHelpFitsOnOneScreenAndClientCommandsShowNoDaemonFlags() {
        for (String name : Main.commandLine().getSubcommands().keySet()) {
            if (name.equals("cds-warmup")) {
                continue; // hidden, for the launcher only
            }
            Outcome help = execute(name, "--help");
            assertEquals(0, help.code(), name + ": " + help);
            long lines = help.out().lines().count();
            if (name.equals("serve")) {
                assertTrue(help.out().contains("--stream-port"), "serve lists every configuration flag: " + help.out());
                continue;
            }
            assertTrue(lines < 40, "crisp " + name + " --help has " + lines + " lines:\n" + help.out());
            assertTrue(!help.out().contains("--stream-port") && !help.out().contains("--root"), name + ":\n" + help.out());
        }
        for (String name : List.of("pods", "containers", "images", "status")) {
            String help = execute(name, "--help").out();
            assertTrue(help.contains("-l, --listen=ENDPOINT"), name + ":\n" + help);
        }
        for (List<String> name : List.of(List.of("pods"), List.of("containers", "ls"), List.of("images"), List.of("status"))) {
            List<String> args = new java.util.ArrayList<>(name);
            args.add("--help");
            assertTrue(execute(args.toArray(String[]::new)).out().contains("-o, --output=FORMAT"), name.toString());
        }
        for (String action : Main.commandLine().getSubcommands().get("containers").getSubcommands().keySet()) {
            Outcome help = execute("containers", action, "--help");
            assertTrue(help.out().lines().count() < 40, action + ":\n" + help.out());
            assertTrue(help.out().contains("-l, --listen=ENDPOINT") && !help.out().contains("--root"), action + ":\n" + help.out());
        }
    }

    @Test
    void helpCommandShowsTheUsageOfTheCommandItNames() {
        Outcome pods = execute("help", "pods");
        assertEquals(0, pods.code(), pods.toString());
        assertTrue(pods.out().startsWith("Usage: crisp pods"), pods.out());
        Outcome root = execute("help");
        assertEquals(0, root.code(), root.toString());
        assertTrue(root.out().contains("Usage: crisp") && root.out().contains("containers"), root.out());
        Outcome unknown = execute("help", "frobnicate");
        assertEquals(2, unknown.code(), unknown.toString());
    }

    @Test
    void usageErrorsAreOneLineAndAHint() {
        Outcome bogus = execute("pods", "ls", "--bogus");
        assertEquals(2, bogus.code(), bogus.toString());
        assertEquals("", bogus.out());
        assertEquals(List.of("crisp pods: Unknown option: '--bogus'", "see 'crisp pods --help'"), bogus.err().lines().toList());
        Outcome action = execute("containers", "frobnicate");
        assertEquals(2, action.code(), action.toString());
        assertEquals(List.of("crisp containers: unknown action 'frobnicate' (run, create, start, ls, inspect, logs, exec, attach, stop, rm)",
                "see 'crisp containers --help'"), action.err().lines().toList());
        Outcome missing = execute("containers", "logs");
        assertEquals(List.of("crisp containers logs: Missing required parameter: 'ID'", "see 'crisp containers logs --help'"),
                missing.err().lines().toList());
        Outcome value = execute("images", "ls", "-o", "yaml");
        assertEquals(2, value.code(), value.toString());
        assertEquals(2, value.err().lines().count(), value.err());
        assertTrue(value.err().startsWith("crisp images: Invalid value for option '--output'"), value.err());
        Outcome config = execute("config", "--bogus");
        assertEquals(List.of("crisp config: Unknown option: '--bogus'", "see 'crisp config --help'"), config.err().lines().toList());
    }

    @Test
    void clientCommandsStillAcceptTheConfigurationFlagsHidden() {
        Outcome run = execute("pods", "ls", "--root", "/tmp/x", "--state", "/tmp/y", "-l", "unix:///tmp/crisp-launcher-test/none.sock");
        assertEquals(1, run.code(), run.toString()); // parsed; no daemon answers there
    }
}
