package io.crisp.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.testing.BackendWrappers;
import io.crisp.spi.BackendException;
import io.crisp.spi.Capability;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.model.ExecSpec;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

final class MeteredBackendTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    /** Implements a few methods; the rest keep the SPI's UNIMPLEMENTED defaults. */
    static final class FakeBackend implements RuntimeBackend {
        final List<String> calls = new ArrayList<>();
        boolean closed;

        @Override
        public Set<Capability> capabilities() {
            return Set.of(Capability.POD_LIFECYCLE);
        }

        @Override
        public Map<String, String> describe() {
            return Map.of("binary", "/bin/fake");
        }

        @Override
        public void stopSandbox(String sandboxId, Duration timeout) {
            calls.add("stopSandbox " + sandboxId + " " + timeout);
        }

        @Override
        public void removeSandbox(String sandboxId) {
            throw new BackendException(BackendException.Kind.NOT_FOUND, "no sandbox " + sandboxId);
        }

        @Override
        public void removeContainer(String containerId) {
            throw new IllegalStateException("bug in the plugin");
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private final FakeBackend fake = new FakeBackend();
    private final MeteredBackend backend = new MeteredBackend(fake, "fake-plugin", "fast", registry);

    private Timer timer(String method, String outcome) {
        return registry.find(RuntimeMetrics.PLUGIN_CALL_DURATION)
                .tags("plugin", "fake-plugin", "handler", "fast", "method", method, "outcome", outcome).timer();
    }

    @Test
    void successfulCallsAreTimedWithOutcomeOk() {
        backend.stopSandbox("s1", Duration.ofSeconds(3));
        backend.stopSandbox("s2", Duration.ofSeconds(3));
        assertEquals(List.of("stopSandbox s1 PT3S", "stopSandbox s2 PT3S"), fake.calls);
        assertEquals(2, timer("stopSandbox", "ok").count());
    }

    @Test
    void backendRefusalsAreTimedByKindAndRethrownUnchanged() {
        BackendException e = assertThrows(BackendException.class, () -> backend.removeSandbox("s9"));
        assertEquals("no sandbox s9", e.getMessage());
        assertEquals(1, timer("removeSandbox", "NOT_FOUND").count());
        IllegalStateException bug = assertThrows(IllegalStateException.class, () -> backend.removeContainer("c1"));
        assertEquals("bug in the plugin", bug.getMessage());
        assertEquals(1, timer("removeContainer", "INTERNAL").count());
    }

    @Test
    void defaultMethodsAnswerAsThePluginsOwnAndAreTimed() {
        BackendException e = assertThrows(BackendException.class,
                () -> backend.execSync(new ExecSpec("c1", List.of("true"), Duration.ZERO, false, 1024)));
        assertEquals(BackendException.Kind.UNIMPLEMENTED, e.kind());
        assertTrue(e.getMessage().contains("FakeBackend"), e.getMessage());
        assertEquals(1, timer("execSync", "UNIMPLEMENTED").count());
    }

    @Test
    void capabilitiesDescribeAndClosePassThroughUnmeasured() {
        assertEquals(Set.of(Capability.POD_LIFECYCLE), backend.capabilities());
        assertEquals(Map.of("binary", "/bin/fake"), backend.describe());
        backend.close();
        assertTrue(fake.closed);
        assertSame(fake, backend.delegate());
        assertTrue(registry.getMeters().isEmpty(), registry.getMetersAsString());
    }

    @Test
    void everyBackendMethodIsForwarded() {
        assertEquals(List.of(), BackendWrappers.notForwardedBy(MeteredBackend.class));
    }
}
