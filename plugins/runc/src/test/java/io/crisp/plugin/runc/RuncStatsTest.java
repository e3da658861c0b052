package io.crisp.plugin.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.plugin.kit.conmon.ConmonBackend;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.Capability;
import io.crisp.spi.model.ContainerStatsSample;
import io.crisp.spi.model.SandboxState;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** containerStats against real runc containers and their cgroups. Needs root; see TestBundles. */
final class RuncStatsTest {
    private static final long MB = 1024 * 1024;
    @RegisterExtension
    final RuncFixture fx = new RuncFixture();

    @Test
    void busyLoopUsesAboutACoreAndSandboxHasStats() throws Exception {
        ConmonBackend backend = fx.backend();
        assertTrue(backend.capabilities().contains(Capability.STATS));
        String sb = fx.newId("sb");
        SandboxState s = fx.sandbox(backend, sb);
        ContainerStatsSample infra = backend.containerStats(sb);
        assertEquals(sb, infra.containerId());
        assertTrue(infra.processCount() >= 1, infra.toString());
        assertTrue(infra.cpuUsageCoreNanos() >= 0 && infra.memory().usageBytes() > 0, infra.toString());

        String c = fx.newId("busy");
        fx.container(backend, c, sb, s.pid(), "while :; do :; done", 0);
        backend.startContainer(c);
        ContainerStatsSample first = backend.containerStats(c);
        Thread.sleep(1000);
        ContainerStatsSample second = backend.containerStats(c);
        double cores = (double) (second.cpuUsageCoreNanos() - first.cpuUsageCoreNanos())
                / (second.timestampNanos() - first.timestampNanos());
        System.out.printf("busy loop: %.2f cores; %s%n", cores, second);
        assertTrue(cores > 0.3 && cores < 1.2, "cores in use: " + cores);
        assertTrue(second.processCount() >= 1, second.toString());
        assertTrue(second.memory().pageFaults() > 0, second.toString());
        assertEquals(ContainerStatsSample.UNKNOWN, second.memory().availableBytes(), "no limit: " + second);
    }

    @Test
    void shmMemoryCountsInTheWorkingSetAndTheLimitGivesAvailable() throws Exception {
        ConmonBackend backend = fx.backend();
        String sb = fx.newId("sb");
        SandboxState s = fx.sandbox(backend, sb);
        String c = fx.newId("mem");
        long limit = 200 * MB;
        // tmpfs pages are shmem: charged to the writer's cgroup, on the anon LRU, never inactive file.
        fx.container(backend, c, sb, s.pid(), "head -c 52428800 /dev/zero > /dev/shm/x; sleep 1000", limit);
        backend.startContainer(c);
        AtomicReference<ContainerStatsSample> last = new AtomicReference<>();
        try {
            RuncFixture.await("50 MB in the working set", () -> {
                last.set(backend.containerStats(c));
                return last.get().memory().workingSetBytes() > 50 * MB;
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last sample " + last.get(), e);
        }
        ContainerStatsSample sample = last.get();
        System.out.println("after 50 MB in /dev/shm: " + sample);
        var m = sample.memory();
        assertEquals(limit - m.workingSetBytes(), m.availableBytes(), sample.toString());
        assertTrue(m.usageBytes() >= m.workingSetBytes(), sample.toString());
        assertTrue(m.usageBytes() < limit, sample.toString());
        assertTrue(sample.processCount() >= 1, sample.toString());

        // A backend started afterwards (a daemon restart) knows the cgroup from the state files.
        ContainerStatsSample again = fx.backend().containerStats(c);
        assertTrue(again.memory().workingSetBytes() > 50 * MB, again.toString());
    }

    @Test
    void createdExitedAndUnknownContainersHaveNoStats() throws Exception {
        ConmonBackend backend = fx.backend();
        String sb = fx.newId("sb");
        SandboxState s = fx.sandbox(backend, sb);
        String c = fx.newId("short");
        fx.container(backend, c, sb, s.pid(), "exit 0", 0);
        assertEquals(Kind.FAILED_PRECONDITION, assertThrows(BackendException.class, () -> backend.containerStats(c)).kind());
        backend.startContainer(c);
        RuncFixture.await("exit of " + c, () -> fx.exited.containsKey(c));
        BackendException e = assertThrows(BackendException.class, () -> backend.containerStats(c));
        assertEquals(Kind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().contains(c), e.getMessage());
        assertEquals(Kind.NOT_FOUND, assertThrows(BackendException.class, () -> backend.containerStats("nope")).kind());

        backend.stopSandbox(sb, java.time.Duration.ofSeconds(10));
        assertEquals(Kind.FAILED_PRECONDITION, assertThrows(BackendException.class, () -> backend.containerStats(sb)).kind());
    }
}
