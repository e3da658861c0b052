package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.cri.v1.CgroupDriver;
import io.crisp.cri.v1.RuntimeCondition;
import io.crisp.cri.v1.RuntimeConfigRequest;
import io.crisp.cri.v1.RuntimeHandler;
import io.crisp.cri.v1.StatusRequest;
import io.crisp.cri.v1.StatusResponse;
import io.crisp.cri.v1.UpdateRuntimeConfigRequest;
import io.crisp.cri.v1.RuntimeConfig;
import io.crisp.cri.v1.NetworkConfig;
import io.crisp.cri.v1.VersionRequest;
import io.crisp.cri.v1.VersionResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Version, Status, RuntimeConfig and UpdateRuntimeConfig over the daemon's real socket. */
final class RuntimeInfoIT {
    private static final Path RUNC = Path.of("/usr/sbin/runc");
    private static final Path CONMON = Path.of("/usr/bin/conmon");

    @TempDir
    Path dir;

    @Test
    void versionNamesCrispAndCriV1() {
        try (DaemonProcess daemon = new DaemonProcess(dir).start()) {
            VersionResponse v = daemon.client().runtime().version(VersionRequest.newBuilder().setVersion("0.1.0").build());
            assertEquals("crisp", v.getRuntimeName());
            assertEquals(Crisp.VERSION, v.getRuntimeVersion());
            assertEquals("v1", v.getRuntimeApiVersion());
            assertEquals("0.1.0", v.getVersion());
        }
    }

    @Test
    void statusReportsConditionsAndEveryHandlerPlusTheDefault() {
        Crisp.requireExecutable(RUNC, "for RuntimeReady of the default runc handler");
        Crisp.requireExecutable(CONMON, "for RuntimeReady of the default runc handler");
        try (DaemonProcess daemon = new DaemonProcess(dir)) {
            daemon.addPlugin(Crisp.EXAMPLE_PLUGIN).writeConfig("""
                    [runtimes.runc]
                    plugin = "runc"
                    [runtimes.demo]
                    plugin = "example"
                    """).start();
            StatusResponse status = daemon.client().runtime().status(StatusRequest.getDefaultInstance());
            RuntimeCondition runtime = condition(status, "RuntimeReady");
            assertTrue(runtime.getStatus(), runtime.toString());
            RuntimeCondition network = condition(status, "NetworkReady");
            assertFalse(network.getStatus());
            assertEquals("NetworkPluginNotReady", network.getReason());
            assertFalse(network.getMessage().isEmpty());
            assertEquals(List.of("", "runc", "demo"), status.getRuntimeHandlersList().stream().map(RuntimeHandler::getName).toList());
            assertTrue(status.getInfoMap().isEmpty(), "info only when verbose");
        }
    }

    @Test
    void missingRuntimeBinaryMakesRuntimeNotReadyNamingIt() {
        try (DaemonProcess daemon = new DaemonProcess(dir)) {
            daemon.writeConfig("""
                    [runtimes.runc]
                    plugin = "runc"
                    runtime_path = "/nonexistent/runc"
                    """).start();
            RuntimeCondition runtime = condition(daemon.client().runtime().status(StatusRequest.getDefaultInstance()), "RuntimeReady");
            assertFalse(runtime.getStatus());
            assertEquals("RuntimeBinaryMissing", runtime.getReason());
            assertTrue(runtime.getMessage().contains("/nonexistent/runc") && runtime.getMessage().contains("'runc'"), runtime.getMessage());
        }
    }

    @Test
    void verboseStatusCarriesJsonInfo() throws Exception {
        try (DaemonProcess daemon = new DaemonProcess(dir).start()) {
            StatusResponse status = daemon.client().runtime().status(StatusRequest.newBuilder().setVerbose(true).build());
            ObjectMapper json = new ObjectMapper();
            JsonNode config = json.readTree(status.getInfoOrThrow("config"));
            assertEquals("unix://" + daemon.socket, config.path("api").path("listen").asText());
            assertEquals("runc", config.path("runtime").path("default_runtime").asText());
            JsonNode handlers = json.readTree(status.getInfoOrThrow("handlers"));
            assertEquals("runc", handlers.get(0).path("name").asText());
            assertTrue(handlers.get(0).path("default").asBoolean());
            JsonNode plugins = json.readTree(status.getInfoOrThrow("plugins"));
            assertEquals("runc", plugins.path("loaded").get(0).path("id").asText());
            assertEquals(1, json.readTree(status.getInfoOrThrow("reload")).path("attempt").asLong());
        }
    }

    @Test
    void runtimeConfigReportsTheConfiguredCgroupDriver() {
        try (DaemonProcess daemon = new DaemonProcess(dir).start()) {
            assertEquals(CgroupDriver.CGROUPFS,
                    daemon.client().runtime().runtimeConfig(RuntimeConfigRequest.getDefaultInstance()).getLinux().getCgroupDriver());
        }
        if (!java.nio.file.Files.isDirectory(java.nio.file.Path.of("/run/systemd/system"))) {
            // systemd is not PID 1: the daemon refuses the systemd driver at start (ConfigErrorIT checks the message).
            try (DaemonProcess daemon = new DaemonProcess(dir.resolve("systemd"))) {
                daemon.spawn("--cgroup-driver", "systemd");
                assertEquals(2, daemon.waitForExit(java.time.Duration.ofSeconds(60)), daemon.logs());
            }
            return;
        }
        try (DaemonProcess daemon = new DaemonProcess(dir.resolve("systemd")).start("--cgroup-driver", "systemd")) {
            assertEquals(CgroupDriver.SYSTEMD,
                    daemon.client().runtime().runtimeConfig(RuntimeConfigRequest.getDefaultInstance()).getLinux().getCgroupDriver());
        }
    }

    @Test
    void updateRuntimeConfigStoresThePodCidrAndRefusesGarbage() throws Exception {
        try (DaemonProcess daemon = new DaemonProcess(dir).start()) {
            daemon.client().runtime().updateRuntimeConfig(cidr("10.244.1.0/24,fd00:10:244:1::/64"));
            StatusResponse status = daemon.client().runtime().status(StatusRequest.newBuilder().setVerbose(true).build());
            assertEquals("10.244.1.0/24,fd00:10:244:1::/64",
                    new ObjectMapper().readTree(status.getInfoOrThrow("node")).path("pod_cidr").asText());
            StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> daemon.client().runtime().updateRuntimeConfig(cidr("10.244.1.0")));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("pod_cidr"), e.getStatus().getDescription());
        }
    }

    private static UpdateRuntimeConfigRequest cidr(String cidr) {
        return UpdateRuntimeConfigRequest.newBuilder()
                .setRuntimeConfig(RuntimeConfig.newBuilder().setNetworkConfig(NetworkConfig.newBuilder().setPodCidr(cidr))).build();
    }

    private static RuntimeCondition condition(StatusResponse status, String type) {
        return status.getStatus().getConditionsList().stream().filter(c -> c.getType().equals(type)).findFirst()
                .orElseThrow(() -> new AssertionError("no condition " + type + " in " + status));
    }
}
