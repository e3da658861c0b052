package io.crisp.plugin.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.BackendException;
import io.crisp.spi.Capability;
import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.BackendHealth;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;

final class RuncBackendTest {
    @TempDir
    Path stateDir;

    @Test
    void missingRuntimeMakesHandlerUnhealthyNamingThePath() {
        RuncBackend backend = backend(new RuncConfig(Path.of("/nonexistent/runc"), Path.of("/run/x"), Path.of("/bin/sh")));
        BackendHealth health = backend.health();
        assertFalse(health.ready());
        assertEquals("RuntimeBinaryMissing", health.reason());
        assertTrue(health.message().contains("/nonexistent/runc"), health.message());
        assertTrue(RuntimeCli.probeVersion(Path.of("/nonexistent/runc")).startsWith("unavailable"));
    }

    @Test
    void presentBinariesAreHealthyAndVersionIsProbed() {
        // /bin/sh stands in for both binaries: the check is "present and executable".
        RuncBackend backend = backend(new RuncConfig(Path.of("/bin/sh"), Path.of("/run/x"), Path.of("/bin/sh")));
        assertTrue(backend.health().ready());
        assertFalse(RuntimeCli.probeVersion(Path.of("/bin/sh")).isEmpty());
        assertTrue(backend.describe().containsKey("runtime_version"));
    }

    @Test
    void advertisesTheLifecycleAndStreamingCapabilities() {
        RuncBackend backend = backend(RuncConfig.defaults(Path.of("/run/x")));
        assertEquals(EnumSet.of(Capability.POD_LIFECYCLE, Capability.EXEC_SYNC, Capability.EXEC, Capability.ATTACH,
                Capability.UPDATE_RESOURCES, Capability.REOPEN_LOG, Capability.STATS), backend.capabilities());
        BackendException e = assertThrows(BackendException.class, () -> backend.containerState("abc"));
        assertEquals(BackendException.Kind.NOT_FOUND, e.kind());
        backend.stopContainer("abc", 15, Duration.ZERO);
    }

    private RuncBackend backend(RuncConfig config) {
        RuntimeContext context = new RuntimeContext() {
            @Override
            public String spiVersion() {
                return "1.0.0";
            }

            @Override
            public String handlerName() {
                return "runc";
            }

            @Override
            public ContainerEventSink events() {
                return ContainerEventSink.discarding();
            }
        };
        return new RuncBackend(config, stateDir, context);
    }
}
