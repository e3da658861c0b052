package io.crisp.plugin.nspawn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.crisp.spi.BackendException;
import io.crisp.spi.CgroupDriver;
import io.crisp.spi.HandlerConfig;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.testing.TestContexts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The nspawn handler cannot honour the systemd cgroup driver: creating it fails, naming handler and plugin. */
final class SystemdDriverRefusalTest {
    @TempDir
    Path dir;

    @Test
    void systemdDriverIsRefusedAtCreate() {
        HandlerConfig config = new HandlerConfig("my-nspawn", "nspawn", Map.of(), dir.resolve("root"), dir.resolve("state"));
        RuntimeContext context = TestContexts.of("my-nspawn", CgroupDriver.SYSTEMD);
        BackendException e = assertThrows(BackendException.class, () -> new NspawnPlugin().create(config, context));
        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertEquals(EXPECTED, e.getMessage());
        assertEquals(false, Files.exists(dir.resolve("state")), "nothing is installed for a refused handler");
    }

    private static final String EXPECTED = "handler my-nspawn (plugin nspawn): cgroup_driver = \"systemd\" is not supported: the nspawn plugin builds each pod's cgroup tree itself under cgroupfs paths and does not register machines with systemd; use cgroup_driver = \"cgroupfs\" or remove this handler";
}
