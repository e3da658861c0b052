package io.crisp.plugin.lxc;

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

/** The lxc handler cannot honour the systemd cgroup driver: creating it fails, naming handler and plugin. */
final class SystemdDriverRefusalTest {
    @TempDir
    Path dir;

    @Test
    void systemdDriverIsRefusedAtCreate() {
        HandlerConfig config = new HandlerConfig("my-lxc", "lxc", Map.of(), dir.resolve("root"), dir.resolve("state"));
        RuntimeContext context = TestContexts.of("my-lxc", CgroupDriver.SYSTEMD);
        BackendException e = assertThrows(BackendException.class, () -> new LxcPlugin().create(config, context));
        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertEquals(EXPECTED, e.getMessage());
        assertEquals(false, Files.exists(dir.resolve("state")), "nothing is installed for a refused handler");
    }

    private static final String EXPECTED = "handler my-lxc (plugin lxc): cgroup_driver = \"systemd\" is not supported: the LXC adapter places containers by cgroupfs paths and cannot create systemd scopes; use cgroup_driver = \"cgroupfs\" or remove this handler";
}
