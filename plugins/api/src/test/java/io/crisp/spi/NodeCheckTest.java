package io.crisp.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

final class NodeCheckTest {
    @Test
    void aFailureMustSayWhyAndWhatToDo() {
        assertThrows(IllegalArgumentException.class, () -> NodeCheck.fail("runc", "", "missing", "install runc"));
        assertThrows(IllegalArgumentException.class, () -> NodeCheck.fail("runc", "RuntimeBinaryMissing", "missing", " "));
        assertThrows(IllegalArgumentException.class, () -> NodeCheck.warn("disk", "low", ""));
        assertThrows(IllegalArgumentException.class, () -> NodeCheck.ok("", "fine"));
        assertTrue(NodeCheck.fail("runc", "RuntimeBinaryMissing", "missing", "install runc").failed());
        assertFalse(NodeCheck.warn("disk", "low", "free some").failed());
    }

    @Test
    void healthIsTheFirstFailureWithItsReasonDetailAndFix() {
        BackendHealth health = NodeCheck.health(List.of(
                NodeCheck.ok("conmon", "/usr/bin/conmon"),
                NodeCheck.warn("disk", "1 GiB free", "free some"),
                NodeCheck.fail("OCI runtime", "RuntimeBinaryMissing", "/x/runc is missing", "set runtime_path"),
                NodeCheck.fail("/dev/kvm", "KvmUnavailable", "no /dev/kvm", "load kvm")));
        assertFalse(health.ready());
        assertEquals("RuntimeBinaryMissing", health.reason());
        assertEquals("OCI runtime: /x/runc is missing (fix: set runtime_path)", health.message());
        assertTrue(NodeCheck.health(List.of(NodeCheck.warn("disk", "1 GiB free", "free some"))).ready(), "warnings do not count");
    }

    @Test
    void aBackendThatListsNoChecksGetsOneFromItsHealth() {
        RuntimeBackend old = new RuntimeBackend() {
            @Override
            public Set<Capability> capabilities() {
                return Set.of();
            }

            @Override
            public BackendHealth health() {
                return BackendHealth.unhealthy("DaemonUnreachable", "cannot reach the VM daemon");
            }

            @Override
            public void close() {}
        };
        List<NodeCheck> checks = old.nodeChecks();
        assertEquals(1, checks.size());
        assertEquals("DaemonUnreachable", checks.get(0).reason());
        assertEquals("cannot reach the VM daemon", checks.get(0).detail());
        assertEquals("DaemonUnreachable", NodeCheck.health(checks).reason());
    }
}
