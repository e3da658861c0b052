package io.crisp.plugin.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.BackendException;
import io.crisp.spi.BackendHealth;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

final class RuncBackendTest {
    @Test
    void missingRuntimeMakesHandlerUnhealthyNamingThePath() {
        RuncBackend backend = new RuncBackend(new RuncConfig(Path.of("/nonexistent/runc"), Path.of("/run/x"), Path.of("/bin/sh")));
        BackendHealth health = backend.health();
        assertFalse(health.ready());
        assertEquals("RuntimeBinaryMissing", health.reason());
        assertTrue(health.message().contains("/nonexistent/runc"), health.message());
        assertTrue(RuncBackend.probeVersion(Path.of("/nonexistent/runc")).startsWith("unavailable"));
    }

    @Test
    void presentBinariesAreHealthyAndVersionIsProbed() {
        // /bin/sh stands in for both binaries: the check is "present and executable".
        RuncBackend backend = new RuncBackend(new RuncConfig(Path.of("/bin/sh"), Path.of("/run/x"), Path.of("/bin/sh")));
        assertTrue(backend.health().ready());
        assertFalse(RuncBackend.probeVersion(Path.of("/bin/sh")).isEmpty());
        assertTrue(backend.describe().containsKey("runtime_version"));
    }

    @Test
    void lifecycleIsUnimplementedNotFaked() {
        RuncBackend backend = new RuncBackend(RuncConfig.defaults());
        BackendException e = assertThrows(BackendException.class, () -> backend.stopContainer("abc", 15, Duration.ZERO));
        assertEquals(BackendException.Kind.UNIMPLEMENTED, e.kind());
    }
}
