package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The crisp CLI through the launcher: version, config, plugins. */
final class CliIT {
    @TempDir
    Path dir;

    @Test
    void versionPrintsCrispCriAndSpiVersions() {
        Crisp.Run run = Crisp.run(List.of("version"));
        assertEquals(0, run.exitCode(), run.all());
        assertTrue(run.stdout().startsWith("crisp " + Crisp.VERSION + "\n"), run.stdout());
        assertTrue(run.stdout().contains("CRI API v1"), run.stdout());
        assertTrue(run.stdout().contains("plugin SPI "), run.stdout());
    }

    @Test
    void theLaunchersJvmFlagsAreAllAccepted() {
        // A CompileCommand the JVM cannot parse is only reported on stdout, and the flag silently dropped.
        Crisp.Run run = Crisp.run(List.of("version"));
        assertEquals(0, run.exitCode(), run.all());
        assertFalse(run.all().contains("CompileCommand"), run.all());
        assertFalse(run.all().contains("Error"), run.all());
    }

    @Test
    void versionReportsTheRunningDaemon() {
        try (DaemonProcess daemon = new DaemonProcess(dir)) {
            List<String> args = new ArrayList<>(List.of("version"));
            args.addAll(daemon.flags());
            Crisp.Run before = Crisp.run(args);
            assertTrue(before.stdout().contains("daemon: not running on unix://" + daemon.socket), before.stdout());
            daemon.start();
            Crisp.Run after = Crisp.run(args);
            assertTrue(after.stdout().contains("daemon: crisp " + Crisp.VERSION + " (CRI v1) on unix://" + daemon.socket), after.stdout());
        }
    }

    @Test
    void clientCommandsWorkWhileADropInIsBroken() {
        try (DaemonProcess daemon = new DaemonProcess(dir)) {
            daemon.start();
            daemon.writeDropIn("20-typo.toml", "[api]\nlisten_adress = \"unix:///x.sock\"\n"); // an operator's typo
            String sock = "unix://" + daemon.socket;
            for (List<String> command : List.of(List.of("pods", "ls"), List.of("containers", "ls"), List.of("images", "ls"),
                    List.of("status"), List.of("plugins"))) {
                List<String> args = new ArrayList<>(command);
                args.addAll(List.of("--config", daemon.config.toString(), "--listen", sock));
                Crisp.Run run = Crisp.run(args);
                assertEquals(0, run.exitCode(), command + ": " + run.all());
                // From the environment: the configuration is not needed either.
                List<String> viaEnvironment = new ArrayList<>(command);
                viaEnvironment.addAll(List.of("--config", daemon.config.toString()));
                Crisp.Run env = Crisp.run(viaEnvironment, java.util.Map.of("CRISP_LISTEN", sock));
                assertEquals(0, env.exitCode(), command + " with CRISP_LISTEN: " + env.all());
            }
            // Neither flag nor environment: the refusal is a warning naming the file and key, not a failure of its own.
            Crisp.Run bare = Crisp.run(List.of("pods", "ls", "--config", daemon.config.toString()));
            assertTrue(bare.stderr().contains("warning: configuration refused") && bare.stderr().contains("listen_adress"),
                    bare.all());
            // crisp config still shows the refusal: finding it is what it is for.
            Crisp.Run config = Crisp.run(List.of("config", "--config", daemon.config.toString()));
            assertEquals(2, config.exitCode(), config.all());
        }
    }

    @Test
    void podsRmRemovesTheLogDirectoryPodsRunChose() throws Exception {
        Pods.requirePrerequisites();
        try (DaemonProcess daemon = Pods.configure(new DaemonProcess(dir.resolve("d")))) {
            daemon.start();
            Pods.importImages(daemon, dir.resolve("images"));
            List<String> run = new ArrayList<>(List.of("pods", "run", "cli-logs", "--host-network", "--namespace", "crisp-test"));
            run.addAll(daemon.flags());
            Crisp.Run started = Crisp.run(run);
            assertEquals(0, started.exitCode(), started.all());
            String id = started.stdout().lines().reduce((a, b) -> b).orElseThrow().trim();
            String dirName = daemon.client().runtime().podSandboxStatus(io.crisp.cri.v1.PodSandboxStatusRequest.newBuilder()
                    .setPodSandboxId(id).build()).getStatus().getMetadata().getUid();
            Path logs = Path.of("/var/log/pods/crisp-test_cli-logs_" + dirName);
            List<String> container = new ArrayList<>(List.of("containers", "run", id, "--name", "c", "--image", Pods.BUSYBOX));
            container.addAll(daemon.flags());
            container.addAll(List.of("--", "echo", "hi"));
            Crisp.Run ran = Crisp.run(container);
            assertEquals(0, ran.exitCode(), ran.all());
            Pods.await(() -> Files.exists(logs.resolve("c/0.log")), 10, "the container's log in " + logs);
            List<String> rm = new ArrayList<>(List.of("pods", "rm", id));
            rm.addAll(daemon.flags());
            Crisp.Run removed = Crisp.run(rm);
            assertEquals(0, removed.exitCode(), removed.all());
            assertFalse(Files.exists(logs), logs + " removed with the pod");
        }
    }

    @Test
    void importErrorsNameTheUsersFile() throws Exception {
        try (DaemonProcess daemon = new DaemonProcess(dir.resolve("d"))) {
            daemon.start();
            Path garbage = Files.writeString(dir.resolve("not-an-image.tar"), "garbage");
            List<String> args = new ArrayList<>(List.of("images", "import", garbage.toString()));
            args.addAll(daemon.flags());
            Crisp.Run bad = Crisp.run(args);
            assertEquals(1, bad.exitCode(), bad.all());
            assertTrue(bad.stderr().contains(garbage.toString()) && !bad.stderr().contains("archive-"),
                    "names the user's archive, not the daemon's scratch directory: " + bad.stderr());
            args.set(2, "/nonexistent/image.tar");
            Crisp.Run missing = Crisp.run(args);
            assertTrue(missing.stderr().contains("/nonexistent/image.tar: no such file or directory"), missing.all());
        }
    }

    @Test
    void runcKeepsItsStateUnderTheDaemonsStateDirectory() throws Exception {
        Pods.requirePrerequisites();
        try (DaemonProcess daemon = new DaemonProcess(dir.resolve("d"))) {
            // No [runtimes] table: the default runc handler with no runtime_root of its own.
            daemon.writeConfig("[image]\npause_image = \"" + Pods.PAUSE + "\"\n").start();
            Pods.importImages(daemon, dir.resolve("images"));
            List<String> run = new ArrayList<>(List.of("pods", "run", "runc-state", "--host-network", "--namespace", "crisp-test",
                    "--log-dir", dir.resolve("logs").toString()));
            run.addAll(daemon.flags());
            Crisp.Run started = Crisp.run(run);
            assertEquals(0, started.exitCode(), started.all());
            String id = started.stdout().lines().reduce((a, b) -> b).orElseThrow().trim();
            // The pod has no infra process (its containers do not share a PID namespace): a container is what runc runs.
            List<String> container = new ArrayList<>(List.of("containers", "run", id, "--name", "c", "--image", Pods.BUSYBOX, "sleep", "60"));
            container.addAll(daemon.flags());
            Crisp.Run ran = Crisp.run(container);
            assertEquals(0, ran.exitCode(), ran.all());
            String cid = ran.stdout().lines().reduce((a, b) -> b).orElseThrow().trim();
            assertTrue(Files.isDirectory(daemon.state.resolve("runc").resolve(cid)),
                    "runc's --root follows --state: " + daemon.state);
            assertFalse(Files.exists(Path.of("/run/crisp/runc").resolve(cid)), "never the fixed /run/crisp/runc");
            List<String> rm = new ArrayList<>(List.of("pods", "rm", id));
            rm.addAll(daemon.flags());
            assertEquals(0, Crisp.run(rm).exitCode());
        }
    }

    @Test
    void stopEndsTheDaemonAndIsIdempotent() throws Exception {
        try (DaemonProcess daemon = new DaemonProcess(dir.resolve("d"))) {
            daemon.start();
            List<String> args = new ArrayList<>(List.of("stop"));
            args.addAll(daemon.flags());
            Crisp.Run stop = Crisp.run(args);
            assertEquals(0, stop.exitCode(), stop.all());
            assertTrue(stop.stdout().contains("stopped crisp (pid " + daemon.pid() + ")"), stop.stdout());
            assertEquals(0, daemon.waitForExit(java.time.Duration.ofSeconds(5)), "a clean exit: " + daemon.logs());
            assertFalse(Files.exists(daemon.socket), "the socket is gone");
            Crisp.Run again = Crisp.run(args);
            assertEquals(0, again.exitCode(), again.all());
            assertTrue(again.stdout().contains("crisp is not running"), again.stdout());
        }
    }

    @Test
    void defaultConfigIsValidTomlThatTheDaemonAccepts() throws Exception {
        Crisp.Run run = Crisp.run(List.of("config", "--default"));
        assertEquals(0, run.exitCode(), run.all());
        JsonNode toml = new TomlMapper().readTree(run.stdout());
        assertEquals("unix:///run/crisp/crisp.sock", toml.path("api").path("listen").asText());
        assertEquals("runc", toml.path("runtime").path("default_runtime").asText());
        assertEquals("runc", toml.path("runtimes").path("runc").path("plugin").asText());
        // Feed it back: the printed defaults are a configuration crisp accepts unchanged.
        Path file = dir.resolve("printed.toml");
        Files.writeString(file, run.stdout());
        Crisp.Run again = Crisp.run(List.of("config", "--config", file.toString()));
        assertEquals(0, again.exitCode(), again.all());
        assertEquals(run.stdout(), again.stdout());
    }

    @Test
    void configShowsFilesDropInsAndFlagsApplied() {
        DaemonProcess d = new DaemonProcess(dir);
        d.writeConfig("log_level = \"warn\"\n").writeDropIn("10-debug.toml", "log_level = \"debug\"\n");
        List<String> args = new ArrayList<>(List.of("config"));
        args.addAll(d.flags());
        Crisp.Run run = Crisp.run(args);
        assertEquals(0, run.exitCode(), run.all());
        assertTrue(run.stdout().contains("log_level = \"debug\""), run.stdout());
        assertTrue(run.stdout().contains("listen = \"unix://" + d.socket + "\""), run.stdout());
        args.addAll(List.of("--log-level", "error"));
        assertTrue(Crisp.run(args).stdout().contains("log_level = \"error\""));
    }

    @Test
    void pluginsFromDiskWithoutADaemon() {
        DaemonProcess d = new DaemonProcess(dir).addPlugin(Crisp.EXAMPLE_PLUGIN);
        d.writeConfig("[runtimes.runc]\nplugin = \"runc\"\n[runtimes.demo]\nplugin = \"example\"\n");
        List<String> args = new ArrayList<>(List.of("plugins"));
        args.addAll(d.flags());
        Crisp.Run run = Crisp.run(args);
        assertEquals(0, run.exitCode(), run.all());
        assertTrue(run.stdout().contains("(from disk"), run.stdout());
        assertTrue(run.stdout().lines().anyMatch(l -> l.startsWith("example ")), run.stdout());
        assertTrue(run.stdout().lines().anyMatch(l -> l.startsWith("demo ") && l.contains("example")), run.stdout());
    }

    @Test
    void badConfigExitsTwoNamingTheKey() {
        DaemonProcess d = new DaemonProcess(dir);
        d.writeConfig("[api]\nlisten = 5\n");
        List<String> args = new ArrayList<>(List.of("config"));
        args.addAll(List.of("--config", d.config.toString()));
        Crisp.Run run = Crisp.run(args);
        assertEquals(2, run.exitCode(), run.all());
        assertTrue(run.stderr().contains(d.config + ": table [api] key 'listen': expected a string"), run.stderr());
    }
}
