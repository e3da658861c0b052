package io.crisp.plugin.kata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.Any;
import io.crisp.plugin.kata.proto.runc.Options;
import io.crisp.spi.BackendException;
import io.crisp.spi.CgroupDriver;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.testing.TestContexts;
import io.crisp.spi.model.PodIdentity;
import io.crisp.spi.model.SandboxSpec;
import io.crisp.spi.testing.BusyboxBundles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The systemd cgroup driver reaches a runc shim as containerd sends it: {@code containerd.runc.v1.Options}
 * with {@code systemd_cgroup} in the create request. Against Debian's real containerd-shim-runc-v2:
 * this host's PID 1 is not systemd, so the runc the shim runs refuses, and its words reaching the
 * caller show the option got through.
 */
final class SystemdCgroupShimTest {
    private static final Path SHIM = Path.of("/usr/bin/containerd-shim-runc-v2");

    @TempDir
    Path dir;

    @Test
    void optionsAsContainerdSendsThem() throws Exception {
        assertEquals(Optional.empty(), new TaskOptions(Optional.empty(), false).toAny());
        Any systemd = new TaskOptions(Optional.empty(), true).toAny().orElseThrow();
        assertEquals("containerd.runc.v1.Options", systemd.getTypeUrl());
        assertTrue(Options.parseFrom(systemd.getValue()).getSystemdCgroup());
        Any kata = new TaskOptions(Optional.of(Path.of("/etc/kata/configuration.toml")), true).toAny().orElseThrow();
        assertEquals("runtimeoptions.v1.Options", kata.getTypeUrl(), "Kata reads its config path; it tells the driver by the path's form");
    }

    @Test
    void runcShimRunsRuncWithSystemdCgroups() throws Exception {
        boolean ready = Files.isExecutable(SHIM) && Files.isExecutable(Path.of("/usr/sbin/runc"))
                && "root".equals(System.getProperty("user.name"));
        if (!ready && "true".equals(System.getenv("CI"))) {
            fail("needs root, " + SHIM + " and /usr/sbin/runc");
        }
        assumeTrue(ready, "needs root, " + SHIM + " and /usr/sbin/runc");
        assertFalse(Files.isDirectory(Path.of("/run/systemd/system")), "this test expects a host whose PID 1 is not systemd");
        String id = "sdshim-" + ProcessHandle.current().pid();
        Path bundle = BusyboxBundles.sandbox(Files.createDirectories(dir.resolve("b").resolve(id)), id);
        String slicePath = "kubepods-besteffort-pod1.slice:crisp:" + id;
        Path config = bundle.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace(BackendContractCgroups.pathIn(Files.readString(config)), slicePath));
        KataBackend backend = new KataBackend(new KataConfig(SHIM, Optional.empty(), Optional.empty()), dir.resolve("state"), context());
        try {
            BackendException e = assertThrows(BackendException.class, () -> backend.runSandbox(new SandboxSpec(id,
                    new PodIdentity("p", "default", "uid", 0), bundle, Optional.empty(), Optional.empty(), Map.of(), Map.of(),
                    slicePath)));
            assertTrue(e.getMessage().contains("systemd not running on this host, cannot use systemd cgroups manager"), e.getMessage());
        } finally {
            backend.close();
            ProcessHandle.allProcesses().filter(p -> cmdline(p.pid()).contains(SHIM.getFileName().toString())
                    && cmdline(p.pid()).contains(id)).forEach(ProcessHandle::destroyForcibly);
        }
    }

    private static RuntimeContext context() {
        return TestContexts.of("shim-systemd", CgroupDriver.SYSTEMD);
    }

    private static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    /** The cgroupsPath value of a config.json's text. */
    private static final class BackendContractCgroups {
        static String pathIn(String configJson) throws Exception {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(configJson).path("linux").path("cgroupsPath").asText();
        }
    }
}
