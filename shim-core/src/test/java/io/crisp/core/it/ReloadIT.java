package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.cri.v1.RuntimeHandler;
import io.crisp.cri.v1.StatusRequest;
import io.crisp.cri.v1.StatusResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live reload: a plugin JAR and a drop-in added to a running daemon become a usable handler after
 * {@code crisp reload} or SIGHUP, without a restart; a bad drop-in is refused and changes nothing.
 */
final class ReloadIT {
    @TempDir
    Path dir;

    private static List<String> handlers(DaemonProcess daemon) {
        StatusResponse status = daemon.client().runtime().status(StatusRequest.getDefaultInstance());
        return status.getRuntimeHandlersList().stream().map(RuntimeHandler::getName).toList();
    }

    private static List<String> args(DaemonProcess daemon, String... first) {
        List<String> args = new ArrayList<>(List.of(first));
        args.addAll(daemon.flags());
        return args;
    }

    @Test
    void newPluginJarAndDropInBecomeAHandlerOnCrispReload() {
        try (DaemonProcess daemon = new DaemonProcess(dir).start()) {
            assertEquals(List.of("", "runc"), handlers(daemon));
            StatusRuntimeException before = assertThrows(StatusRuntimeException.class,
                    () -> daemon.client().runtime().runPodSandbox(HandlerDispatchIT.pod("demo")));
            assertEquals(Status.Code.INVALID_ARGUMENT, before.getStatus().getCode());

            daemon.addPlugin(Crisp.EXAMPLE_PLUGIN).writeDropIn("50-demo.toml", """
                    [runtimes.runc]
                    plugin = "runc"
                    [runtimes.demo]
                    plugin = "example"
                    description = "added while running"
                    """);
            Crisp.Run reload = Crisp.run(args(daemon, "reload"));
            assertEquals(0, reload.exitCode(), reload.all() + daemon.logs());
            assertTrue(reload.stdout().contains("handlers runc, demo"), reload.stdout());

            assertEquals(List.of("", "runc", "demo"), handlers(daemon));
            // The new handler now reaches its plugin: UNIMPLEMENTED from the backend, not INVALID_ARGUMENT.
            StatusRuntimeException after = assertThrows(StatusRuntimeException.class,
                    () -> daemon.client().runtime().runPodSandbox(HandlerDispatchIT.pod("demo")));
            assertEquals(Status.Code.UNIMPLEMENTED, after.getStatus().getCode());
            assertTrue(after.getStatus().getDescription().contains("plugin 'example'"), after.getStatus().getDescription());

            Crisp.Run plugins = Crisp.run(args(daemon, "plugins"));
            assertEquals(0, plugins.exitCode(), plugins.all());
            assertTrue(plugins.stdout().contains("example") && plugins.stdout().contains("demo"), plugins.stdout());
            assertTrue(plugins.stdout().contains("running daemon"), plugins.stdout());
        }
    }

    @Test
    void sighupReloadsAndRemovedHandlersDisappear() throws Exception {
        try (DaemonProcess daemon = new DaemonProcess(dir).addPlugin(Crisp.EXAMPLE_PLUGIN)) {
            daemon.writeDropIn("50-demo.toml", "[runtimes.runc]\nplugin = \"runc\"\n[runtimes.demo]\nplugin = \"example\"\n").start();
            assertEquals(List.of("", "runc", "demo"), handlers(daemon));

            daemon.writeDropIn("60-more.toml", "[runtimes.demo2]\nplugin = \"example\"\n");
            daemon.signal("HUP");
            awaitHandlers(daemon, List.of("", "runc", "demo", "demo2"));

            Files.delete(daemon.dropIns.resolve("50-demo.toml"));
            Files.delete(daemon.dropIns.resolve("60-more.toml"));
            daemon.signal("HUP");
            awaitHandlers(daemon, List.of("", "runc"));
            StatusRuntimeException gone = assertThrows(StatusRuntimeException.class,
                    () -> daemon.client().runtime().runPodSandbox(HandlerDispatchIT.pod("demo")));
            assertEquals(Status.Code.INVALID_ARGUMENT, gone.getStatus().getCode());
        }
    }

    @Test
    void badDropInIsRefusedAndTheOldTableStays() throws Exception {
        try (DaemonProcess daemon = new DaemonProcess(dir).start()) {
            daemon.writeDropIn("70-bad.toml", "[runtimes.runc]\nplugin = \"runc\"\n[runtimes.vm]\nplugin = \"kata\"\n");
            Crisp.Run reload = Crisp.run(args(daemon, "reload"));
            assertEquals(2, reload.exitCode(), reload.all());
            assertTrue(reload.stderr().contains("no plugin 'kata' is loaded"), reload.stderr());
            assertEquals(List.of("", "runc"), handlers(daemon));
            StatusResponse verbose = daemon.client().runtime().status(StatusRequest.newBuilder().setVerbose(true).build());
            String error = new ObjectMapper().readTree(verbose.getInfoOrThrow("reload")).path("error").asText();
            assertTrue(error.contains("[runtimes.vm] in " + daemon.dropIns.resolve("70-bad.toml")), error);
        }
    }

    @Test
    void aReloadThatLeavesTheDefaultHandlerNotReadySaysSo() {
        try (DaemonProcess daemon = new DaemonProcess(dir).start()) {
            daemon.writeDropIn("50-broken.toml", "[runtimes.runc]\nplugin = \"runc\"\nruntime_path = \"/nonexistent/runc\"\n");
            Crisp.Run reload = Crisp.run(args(daemon, "reload"));
            assertEquals(0, reload.exitCode(), reload.all()); // the configuration was taken
            assertTrue(reload.stdout().contains("runc: NOT READY"), reload.stdout());
            assertTrue(reload.stderr().contains("warning: handler runc is the default and is not ready")
                    && reload.stderr().contains("NotReady"), reload.stderr());
            Pods.await(() -> daemon.logs().contains("WARN") && daemon.logs().contains("handler 'runc' (the default"), 5,
                    "a WARN in the daemon's log");
        }
    }

    @Test
    void podsOnABackendAReloadReplacedStillCountAndRemoveCleanly() throws Exception {
        Pods.requirePrerequisites();
        try (DaemonProcess daemon = Pods.configure(new DaemonProcess(dir)).start()) {
            Pods.importImages(daemon, dir.resolve("images"));
            String pod = Pods.run(daemon.client(), Pods.pod("kept", dir.resolve("logs")).setLinux(
                    io.crisp.cri.v1.LinuxPodSandboxConfig.newBuilder().setSecurityContext(io.crisp.cri.v1.LinuxSandboxSecurityContext
                            .newBuilder().setNamespaceOptions(io.crisp.cri.v1.NamespaceOption.newBuilder()
                                    .setNetwork(io.crisp.cri.v1.NamespaceMode.NODE)))).build());
            // A changed option makes a new runc backend; the pod stays on the old one.
            daemon.writeDropIn("50-monitor.toml", "[runtimes.runc]\nplugin = \"runc\"\nmonitor_path = \"/usr/bin/conmon\"\n");
            assertEquals(0, Crisp.run(args(daemon, "reload")).exitCode());
            Crisp.Run status = Crisp.run(args(daemon, "status", "--json"));
            JsonNode runc = null;
            for (JsonNode h : new ObjectMapper().readTree(status.stdout()).path("handlers")) {
                runc = h.path("name").asText().equals("runc") ? h : runc;
            }
            assertEquals(1, runc.path("pods").asInt(), status.stdout());
            Pods.removeAll(daemon.client());
            DaemonProcess.sleep(500);
            assertFalse(daemon.logs().contains("exit directory went away"), daemon.logs());
        }
    }

    @Test
    void reloadWithoutADaemonSaysSo() {
        DaemonProcess notStarted = new DaemonProcess(dir);
        Crisp.Run reload = Crisp.run(args(notStarted, "reload"));
        assertEquals(1, reload.exitCode(), reload.all());
        assertTrue(reload.stderr().contains("no running daemon"), reload.stderr());
    }

    private static void awaitHandlers(DaemonProcess daemon, List<String> expected) {
        long deadline = System.nanoTime() + 15_000_000_000L;
        List<String> seen = List.of();
        while (System.nanoTime() < deadline) {
            seen = handlers(daemon);
            if (seen.equals(expected)) {
                return;
            }
            DaemonProcess.sleep(50);
        }
        fail("handlers stayed " + seen + ", expected " + expected + "\n" + daemon.logs());
    }
}
