package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ListContainersRequest;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.PodSandboxStatusRequest;
import io.crisp.cri.v1.RemovePodSandboxRequest;
import io.crisp.cri.v1.RuntimeCondition;
import io.crisp.cri.v1.StatusRequest;
import io.crisp.cri.v1.StopPodSandboxRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real daemon with runc beside three handlers of the test-only faulty plugin (runc with faults
 * switched by a control file): "faulty" misbehaves at run time, "broken" throws in its create,
 * "slowstart" blocks in its create. The daemon starts; runc pods keep their latency while faulty's
 * calls hang; faulty turns not ready in Status naming plugin and call, refuses new pods with
 * UNAVAILABLE, and comes back by itself once the fault is switched off.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
final class FaultIsolationIT {
    /** faulty's deadline for RunPodSandbox: a hung call answers DEADLINE_EXCEEDED after it. */
    private static final long CREATE_DEADLINE_MS = 8_000;

    private Path dir;
    private DaemonProcess daemon;
    private TestNetwork network;
    private CriClient client;
    private Path faulty;
    private Path slowstart;

    @BeforeAll
    void startDaemon(@TempDir Path tmp) throws IOException {
        dir = tmp;
        faulty = dir.resolve("faulty.control");
        Path broken = dir.resolve("broken.control");
        slowstart = dir.resolve("slowstart.control");
        Files.writeString(broken, "throw create\n");
        Files.writeString(slowstart, "hang create\n");
        network = TestNetwork.create(dir);
        daemon = Pods.daemon(dir.resolve("daemon"), network, """
                [runtimes.faulty]
                plugin = "faulty"
                control_file = "%s"
                call_timeout = { create = "%ds", stop = "4s", remove = "4s", query = "2s", exec = "4s" }
                call_failures = 2
                call_concurrency = 4
                [runtimes.broken]
                plugin = "faulty"
                control_file = "%s"
                [runtimes.slowstart]
                plugin = "faulty"
                control_file = "%s"
                call_timeout = { query = "2s" }
                """.formatted(faulty, CREATE_DEADLINE_MS / 1000, broken, slowstart), Crisp.FAULTY_PLUGIN);
        client = daemon.client();
    }

    @AfterAll
    void stopDaemon() throws IOException {
        if (faulty != null) {
            Files.writeString(faulty, "ok\n");
            Files.writeString(slowstart, "ok\n");
        }
        if (client != null) {
            Pods.removeAll(client);
        }
        if (daemon != null) {
            daemon.close();
        }
        if (network != null) {
            network.close();
        }
    }

    @Test
    @Order(1)
    void pluginsThatFailOrBlockInTheirCreateLeaveOnlyTheirHandlerNotReady() throws IOException {
        RuntimeCondition brokenCondition = condition("HandlerReady/broken").orElseThrow(() -> new AssertionError(conditions()));
        assertFalse(brokenCondition.getStatus());
        assertEquals("PluginCreateFailed", brokenCondition.getReason());
        assertTrue(brokenCondition.getMessage().contains("plugin 'faulty' failed to create handler 'broken'")
                && brokenCondition.getMessage().contains("IllegalStateException"), brokenCondition.getMessage());
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                () -> Pods.run(client, Pods.pod("onbroken", dir.resolve("logs/onbroken")).build(), "broken"));
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.getStatus().toString());
        assertTrue(refused.getStatus().getDescription().contains("handler 'broken' is not ready (PluginCreateFailed)"),
                refused.getStatus().getDescription());

        RuntimeCondition slow = condition("HandlerReady/slowstart").orElseThrow(() -> new AssertionError(conditions()));
        assertEquals("PluginCreateTimeout", slow.getReason(), slow.toString());
        // runc serves meanwhile: the default handler is ready.
        assertTrue(condition("RuntimeReady").orElseThrow().getStatus());
        // The blocked create returns: the handler is adopted and ready, with no reload.
        Files.writeString(slowstart, "ok\n");
        Pods.await(() -> condition("HandlerReady/slowstart").isEmpty(), 20, "slowstart to become ready: " + conditions());
    }

    @Test
    @Order(2)
    void aHangingHandlerDoesNotSlowRuncAndRecoversByItself() throws Exception {
        // Baseline: the kubelet's calls on runc with every handler well.
        Latencies base = measure("base");
        // faulty hangs in every call: two pods on it tie up two of its slots until its 8 s deadline.
        Files.writeString(faulty, "hang\n");
        List<CompletableFuture<StatusRuntimeException>> hung = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String name = "hung" + i;
            hung.add(CompletableFuture.supplyAsync(() -> assertThrows(StatusRuntimeException.class,
                    () -> Pods.run(client, Pods.pod(name, dir.resolve("logs").resolve(name)).build(), "faulty"))));
        }
        DaemonProcess.sleep(300);
        long windowStart = System.nanoTime();
        Latencies underFault = measure("faulty hanging");
        long windowMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - windowStart);
        assertTrue(hung.stream().noneMatch(CompletableFuture::isDone), "the measurement ran while faulty's calls hung (" + windowMs + " ms)");
        base.assertComparable(underFault);

        for (CompletableFuture<StatusRuntimeException> f : hung) {
            StatusRuntimeException e = f.get(CREATE_DEADLINE_MS + 10_000, TimeUnit.MILLISECONDS);
            assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode(), e.getStatus().toString());
            assertTrue(e.getStatus().getDescription().contains("runSandbox"), e.getStatus().getDescription());
        }
        assertEquals(List.of(), podsOn("hung"), "a timed-out RunPodSandbox leaves no pod listed");
        RuntimeCondition notReady = condition("HandlerReady/faulty").orElseThrow(() -> new AssertionError(conditions()));
        assertEquals("BackendCallTimeout", notReady.getReason());
        assertTrue(notReady.getMessage().contains("plugin 'faulty'") && notReady.getMessage().contains("runSandbox"), notReady.getMessage());
        assertTrue(condition("RuntimeReady").orElseThrow().getStatus(), "runc, the default, stays ready");

        long t0 = System.nanoTime();
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                () -> Pods.run(client, Pods.pod("refused", dir.resolve("logs/refused")).build(), "faulty"));
        long refusedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.getStatus().toString());
        assertTrue(refused.getStatus().getDescription().contains("handler 'faulty' is not ready (BackendCallTimeout)"),
                refused.getStatus().getDescription());
        assertTrue(refusedMs < 1000, "a refused pod is answered at once, took " + refusedMs + " ms");

        // Switched off: the hung calls return, what they made is removed, the handler comes back.
        Files.writeString(faulty, "ok\n");
        Pods.await(() -> condition("HandlerReady/faulty").isEmpty(), 30, "faulty to recover: " + conditions());
        String pod = Pods.run(client, Pods.pod("recovered", dir.resolve("logs/recovered")).build(), "faulty");
        remove(pod);
        Pods.await(() -> processesOf(daemon.state.resolve("runtimes").resolve("faulty")).isEmpty(), 20,
                "no process left of faulty's pods: " + processesOf(daemon.state.resolve("runtimes").resolve("faulty")));
        System.out.printf("FaultIsolationIT: refused pod on a not-ready handler answered in %d ms%n", refusedMs);
    }

    @Test
    @Order(3)
    void throwingAndNullAnsweringCallsAreContainedTheSameWay() throws Exception {
        for (String mode : List.of("throw", "null")) {
            Files.writeString(faulty, mode + " runSandbox\n");
            // call_failures = 2; after a recovery the handler is half-open, so one more fault trips it.
            for (int i = 0; i < 2 && condition("HandlerReady/faulty").isEmpty(); i++) {
                String name = mode + i;
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                        () -> Pods.run(client, Pods.pod(name, dir.resolve("logs").resolve(name)).build(), "faulty"));
                assertEquals(Status.Code.INTERNAL, e.getStatus().getCode(), e.getStatus().toString());
                assertTrue(e.getStatus().getDescription().contains("handler 'faulty' (plugin 'faulty'): runSandbox"),
                        e.getStatus().getDescription());
            }
            RuntimeCondition c = condition("HandlerReady/faulty").orElseThrow(() -> new AssertionError(conditions()));
            assertEquals("BackendCallFailed", c.getReason(), c.toString());
            assertTrue(c.getMessage().contains(mode.equals("throw") ? "IllegalStateException" : "returned null"), c.getMessage());
            assertEquals(Status.Code.UNAVAILABLE, assertThrows(StatusRuntimeException.class,
                    () -> Pods.run(client, Pods.pod("no", dir.resolve("logs/no")).build(), "faulty")).getStatus().getCode());
            // runc pods are not touched meanwhile
            remove(Pods.run(client, Pods.pod("runc-" + mode, dir.resolve("logs").resolve("runc-" + mode)).build()));
            Files.writeString(faulty, "ok\n");
            Pods.await(() -> condition("HandlerReady/faulty").isEmpty(), 30, "faulty to recover from " + mode + ": " + conditions());
            assertEquals(List.of(), podsOn(mode), "failed pods are not listed");
        }
        remove(Pods.run(client, Pods.pod("after", dir.resolve("logs/after")).build(), "faulty"));
    }

    /** The latencies of the kubelet's calls on runc: RunPodSandbox (and removal), relist, Status. */
    private record Latencies(String label, List<Long> runMs, List<Long> listMicros, List<Long> statusMicros) {
        long p50(List<Long> v) {
            return v.stream().sorted().toList().get(v.size() / 2);
        }

        long max(List<Long> v) {
            return v.stream().mapToLong(Long::longValue).max().orElseThrow();
        }

        void print() {
            System.out.printf("FaultIsolationIT %s: runc RunPodSandbox p50 %d ms max %d ms; relist (ListPodSandbox+ListContainers+"
                    + "PodSandboxStatus) p50 %d us max %d us; Status p50 %d us max %d us%n", label, p50(runMs), max(runMs), p50(listMicros),
                    max(listMicros), p50(statusMicros), max(statusMicros));
        }

        /** Generous bounds: a few times the baseline, and far under faulty's 8 s deadline. */
        void assertComparable(Latencies fault) {
            assertTrue(fault.max(fault.runMs) <= Math.max(4 * max(runMs), max(runMs) + 1500) && fault.max(fault.runMs) < CREATE_DEADLINE_MS / 3,
                    "runc RunPodSandbox: " + fault.runMs + " ms with faulty hanging vs " + runMs + " ms before");
            assertTrue(fault.p50(fault.listMicros) <= Math.max(5 * p50(listMicros), 20_000), "relist p50: " + fault.p50(fault.listMicros)
                    + " us with faulty hanging vs " + p50(listMicros) + " us before");
            assertTrue(fault.max(fault.listMicros) < 1_000_000, "relist max: " + fault.max(fault.listMicros) + " us");
            assertTrue(fault.p50(fault.statusMicros) <= Math.max(5 * p50(statusMicros), 20_000), "Status p50: "
                    + fault.p50(fault.statusMicros) + " us with faulty hanging vs " + p50(statusMicros) + " us before");
            // One Status may wait for faulty's hung health check, at most IsolatedBackend.HEALTH_WAIT (1 s).
            assertTrue(fault.max(fault.statusMicros) < 1_600_000, "Status max: " + fault.max(fault.statusMicros) + " us");
        }
    }

    private Latencies measure(String label) {
        List<Long> run = new ArrayList<>();
        List<Long> list = new ArrayList<>();
        List<Long> status = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String name = label.replace(' ', '-') + "-" + i;
            long t0 = System.nanoTime();
            String pod = Pods.run(client, Pods.pod(name, dir.resolve("logs").resolve(name)).build());
            run.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            for (int j = 0; j < 10; j++) {
                list.add(micros(() -> {
                    client.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance());
                    client.runtime().listContainers(ListContainersRequest.getDefaultInstance());
                    return client.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build());
                }));
                status.add(micros(() -> client.runtime().status(StatusRequest.getDefaultInstance())));
            }
            remove(pod);
        }
        Latencies l = new Latencies(label, run, list, status);
        l.print();
        return l;
    }

    private static long micros(Supplier<?> call) {
        long t0 = System.nanoTime();
        call.get();
        return TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - t0);
    }

    private void remove(String pod) {
        client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
        client.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    }

    private List<String> podsOn(String namePrefix) {
        return client.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList().stream()
                .filter(p -> p.getMetadata().getName().startsWith(namePrefix)).map(p -> p.getId()).toList();
    }

    private List<RuntimeCondition> conditions() {
        return client.runtime().status(StatusRequest.getDefaultInstance()).getStatus().getConditionsList();
    }

    private Optional<RuntimeCondition> condition(String type) {
        return conditions().stream().filter(c -> c.getType().equals(type)).findFirst();
    }

    private static List<String> processesOf(Path stateDir) {
        return HostProcesses.commandLines().values().stream().filter(cmd -> cmd.contains(stateDir.toString())).toList();
    }
}
