package io.crisp.core.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.config.RuntimeTable;
import io.crisp.spi.BackendHealth;
import io.crisp.spi.Capability;
import io.crisp.spi.HandlerConfig;
import io.crisp.spi.NodeCheck;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.RuntimePlugin;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** A handler's readiness is its node checks' first failure, then its backend's health: what doctor prints is what Status says. */
final class HandlerHealthTest {
    private static final RuntimePlugin PLUGIN = new RuntimePlugin() {
        @Override
        public RuntimeBackend create(HandlerConfig config, RuntimeContext context) {
            throw new UnsupportedOperationException();
        }
    };
    private static final LoadedPlugin LOADED = new LoadedPlugin("test", "1.0.0", "a test plugin", "*", Path.of("/plugins/test.jar"), PLUGIN);

    private static Handler handler(Supplier<List<NodeCheck>> checks, BackendHealth health) {
        RuntimeBackend backend = new RuntimeBackend() {
            @Override
            public Set<Capability> capabilities() {
                return Set.of();
            }

            @Override
            public List<NodeCheck> nodeChecks() {
                return checks.get();
            }

            @Override
            public BackendHealth health() {
                return health;
            }

            @Override
            public void close() {}
        };
        return new Handler(new RuntimeTable("h", "test", Map.of(), Optional.empty()), LOADED, backend);
    }

    @Test
    void aFailedCheckMakesTheHandlerNotReadyEvenIfHealthSaysReady() {
        NodeCheck kvm = NodeCheck.fail("/dev/kvm", "KvmUnavailable", "/dev/kvm does not exist", "load kvm_intel");
        Handler h = handler(() -> List.of(NodeCheck.ok("shim", "/usr/bin/shim"), kvm), BackendHealth.healthy());
        BackendHealth health = h.health();
        assertFalse(health.ready());
        assertEquals("KvmUnavailable", health.reason());
        assertEquals("/dev/kvm: /dev/kvm does not exist (fix: load kvm_intel)", health.message());
        assertEquals(List.of(NodeCheck.ok("shim", "/usr/bin/shim"), kvm), h.checks());
    }

    @Test
    void passingChecksLeaveTheBackendsHealthInCharge() {
        Handler h = handler(() -> List.of(NodeCheck.warn("disk", "low", "free some")), BackendHealth.unhealthy("Busy", "still recovering"));
        assertEquals("Busy", h.health().reason());
        assertTrue(handler(List::of, BackendHealth.healthy()).health().ready());
    }

    @Test
    void checksThatThrowAreAFailureNotTheCallersError() {
        Handler h = handler(() -> {
            throw new IllegalStateException("boom");
        }, BackendHealth.healthy());
        assertEquals("HealthCheckFailed", h.health().reason());
        assertTrue(h.checks().get(0).detail().contains("boom"), h.checks().toString());
        assertEquals("HealthCheckFailed", handler(() -> null, BackendHealth.healthy()).checks().get(0).reason());
    }
}
