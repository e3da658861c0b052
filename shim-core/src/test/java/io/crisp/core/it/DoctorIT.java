package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.cri.v1.RuntimeCondition;
import io.crisp.cri.v1.StatusRequest;
import io.crisp.cri.v1.StatusResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code crisp doctor} through the launcher, with a runc handler whose runtime_path points nowhere
 * beside a healthy one: doctor names the failing check and its fix, its exit code follows the
 * default handler, and a daemon started on the same configuration reports the same reason in Status.
 */
final class DoctorIT {
    private static final Path RUNC = Path.of("/usr/sbin/runc");
    private static final Path CONMON = Path.of("/usr/bin/conmon");

    @TempDir
    Path dir;

    private static void requirePrerequisites() {
        // A missing prerequisite fails: the healthy handler's checks would fail for the wrong reason.
        Crisp.requireExecutable(RUNC, "for the healthy runc handler");
        Crisp.requireExecutable(CONMON, "for the runc handlers");
        TestNetwork.requirePlugins();
    }

    /** Two runc handlers, one whose runtime is missing; the CNI config is the test's own and never used for a pod. */
    private DaemonProcess configure(String defaultHandler) throws IOException {
        DaemonProcess daemon = new DaemonProcess(dir);
        Path netd = dir.resolve("net.d");
        Files.createDirectories(netd);
        Files.writeString(netd.resolve("10-doctor.conflist"), """
                {"cniVersion": "1.0.0", "name": "doctor-it", "plugins": [
                  {"type": "bridge", "bridge": "crdoctor0", "ipam": {"type": "host-local", "subnet": "10.254.77.0/24"}}]}
                """);
        return daemon.writeConfig("""
                [runtime]
                default_runtime = "%s"
                [network]
                cni_bin_dir = ["%s"]
                [runtimes.broken]
                plugin = "runc"
                runtime_path = "%s"
                [runtimes.runc]
                plugin = "runc"
                """.formatted(defaultHandler, TestNetwork.CNI_BIN, missingRuntime()));
    }

    private Path missingRuntime() {
        return dir.resolve("nowhere/runc");
    }

    private static Crisp.Run doctor(DaemonProcess daemon) {
        List<String> args = new ArrayList<>(List.of("doctor"));
        args.addAll(daemon.flags());
        return Crisp.run(args);
    }

    private String failLine() {
        return "  FAIL  OCI runtime            " + missingRuntime() + " is missing or not executable";
    }

    private static final String FIX = "install it (apt-get install runc) or set runtime_path to an OCI runtime";

    @Test
    void aBrokenDefaultHandlerFailsWithTheCheckAndItsFixAndStatusSaysTheSame() throws Exception {
        requirePrerequisites();
        try (DaemonProcess daemon = configure("broken")) {
            Crisp.Run run = doctor(daemon);
            assertEquals(1, run.exitCode(), run.all());
            String out = run.stdout();
            assertTrue(out.contains("Handler broken (default; plugin runc "), out);
            assertTrue(out.contains(failLine() + "\n        reason:                RuntimeBinaryMissing\n"
                    + "        fix:                   " + FIX + "\n"), out);
            assertTrue(out.contains("Handler runc (plugin runc "), out);
            assertTrue(out.contains("  OK    OCI runtime            " + RUNC + " (runc version "), out);
            assertTrue(out.contains("  OK    CNI plugins            bridge loopback in [" + TestNetwork.CNI_BIN + "]"), out);
            assertTrue(out.contains("Result: the default handler 'broken' cannot run pods on this node: OCI runtime (RuntimeBinaryMissing)."), out);

            daemon.start();
            StatusResponse status = daemon.client().runtime().status(StatusRequest.newBuilder().setVerbose(true).build());
            RuntimeCondition ready = condition(status, "RuntimeReady");
            assertFalse(ready.getStatus());
            assertEquals("RuntimeBinaryMissing", ready.getReason());
            assertEquals("default handler 'broken': OCI runtime: " + missingRuntime() + " is missing or not executable (fix: " + FIX + ")",
                    ready.getMessage());
            JsonNode handlers = handlers(status);
            assertEquals("RuntimeBinaryMissing", handlers.get("broken").path("reason").asText(), handlers.toString());
            assertTrue(handlers.get("runc").path("ready").asBoolean(), handlers.toString());

            // With the daemon running on the same directories: the same answer, and the daemon is left alone.
            Crisp.Run again = doctor(daemon);
            assertEquals(1, again.exitCode(), again.all());
            assertTrue(again.stdout().contains("a daemon answers on " + daemon.socket), again.stdout());
            assertEquals("RuntimeBinaryMissing", condition(daemon.client().runtime().status(StatusRequest.getDefaultInstance()),
                    "RuntimeReady").getReason());
        }
    }

    @Test
    void aHealthyDefaultExitsZeroAndStillNamesTheBrokenHandler() throws Exception {
        requirePrerequisites();
        try (DaemonProcess daemon = configure("runc")) {
            Crisp.Run run = doctor(daemon);
            assertEquals(0, run.exitCode(), run.all());
            String out = run.stdout();
            assertTrue(out.contains("Handler runc (default; plugin runc "), out);
            assertTrue(out.contains(failLine()), out);
            assertTrue(out.contains("Result: the default handler 'runc' can run pods on this node"), out);
            assertTrue(out.contains("handler 'broken' cannot run pods: OCI runtime (RuntimeBinaryMissing)")
                    && out.contains("It is not the default handler, so this does not change the exit code."), out);

            daemon.start();
            StatusResponse status = daemon.client().runtime().status(StatusRequest.newBuilder().setVerbose(true).build());
            assertTrue(condition(status, "RuntimeReady").getStatus(), status.toString());
            JsonNode handlers = handlers(status);
            assertFalse(handlers.get("broken").path("ready").asBoolean(), handlers.toString());
            assertEquals("RuntimeBinaryMissing", handlers.get("broken").path("reason").asText());
            assertEquals("OCI runtime: " + missingRuntime() + " is missing or not executable (fix: " + FIX + ")",
                    handlers.get("broken").path("message").asText());
        }
    }

    @Test
    void aRefusedConfigurationIsExitCodeTwoNamingTheKey() throws IOException {
        try (DaemonProcess daemon = new DaemonProcess(dir)) {
            daemon.writeConfig("[runtime]\ndefault_runtime = \"x\"\n[runtimes.x]\nplugin = \"no-such-plugin\"\n");
            Crisp.Run run = doctor(daemon);
            assertEquals(2, run.exitCode(), run.all());
            assertTrue(run.stderr().startsWith("crisp: handlers refused: ") && run.stderr().contains("no plugin 'no-such-plugin'"), run.all());
            assertEquals("", run.stdout(), "no checks printed for a configuration the daemon refuses");
        }
    }

    /** Each handler's health from verbose Status info, by name. */
    private static JsonNode handlers(StatusResponse status) throws IOException {
        JsonNode list = new ObjectMapper().readTree(status.getInfoOrThrow("handlers"));
        com.fasterxml.jackson.databind.node.ObjectNode byName = new ObjectMapper().createObjectNode();
        list.forEach(h -> byName.set(h.path("name").asText(), h.path("health")));
        return byName;
    }

    private static RuntimeCondition condition(StatusResponse status, String type) {
        return status.getStatus().getConditionsList().stream().filter(c -> c.getType().equals(type)).findFirst()
                .orElseThrow(() -> new AssertionError("no condition " + type + " in " + status));
    }
}
