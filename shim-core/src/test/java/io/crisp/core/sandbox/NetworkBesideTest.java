package io.crisp.core.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.testing.CriRequests;
import io.crisp.core.testing.InMemoryBackend;
import io.crisp.core.testing.InProcessCore;
import io.crisp.spi.BackendException;
import io.crisp.spi.Capability;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CNI ADD and DEL run beside the backend's start and stop of a pod ({@link io.crisp.core.state.BesideWork}), on a
 * network whose one plugin is a script: its ADD waits for the file {@code add-gate}, its DEL for
 * {@code del-gate} (each 20 s at most), and its ADD fails while {@code add-fails} exists. A gate the
 * test opens only once the backend's call is under way shows that the two overlap. In process, on
 * the in-memory backend; needs root.
 */
final class NetworkBesideTest {
    @TempDir
    Path dir;

    private InProcessCore core;
    private SandboxService sandboxes;

    @BeforeEach
    void start() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("cni-bin"));
        Path plugin = bin.resolve("crisp-test-gate");
        Files.writeString(plugin, """
                #!/bin/sh
                cat >/dev/null
                d=%s
                wait_for() { i=0; while [ ! -e "$d/$1" ]; do i=$((i+1)); [ $i -gt 200 ] && return 1; sleep 0.1; done; }
                case "$CNI_COMMAND" in
                ADD)
                    touch "$d/add-started"
                    if [ -e "$d/add-fails" ]; then echo '{"cniVersion":"1.0.0","code":999,"msg":"no addresses left (as the test asked)"}'; exit 1; fi
                    wait_for add-gate || { echo '{"cniVersion":"1.0.0","code":999,"msg":"add-gate never opened"}'; exit 1; }
                    echo '{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"'"$CNI_NETNS"'"}],"ips":[{"address":"10.99.0.7/24","interface":0}]}' ;;
                DEL)
                    wait_for del-gate || { echo '{"cniVersion":"1.0.0","code":999,"msg":"del-gate never opened"}'; exit 1; } ;;
                VERSION) echo '{"cniVersion":"1.0.0","supportedVersions":["1.0.0"]}' ;;
                esac
                """.formatted(dir));
        Files.setPosixFilePermissions(plugin, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(dir.resolve("cni"));
        Files.writeString(dir.resolve("cni").resolve("00-beside.conflist"),
                "{\"cniVersion\": \"1.0.0\", \"name\": \"crisp-beside\", \"plugins\": [{\"type\": \"crisp-test-gate\"}]}");
        core = new InProcessCore(dir);
        sandboxes = core.lifecycle.sandboxes();
    }

    @AfterEach
    void stop() throws Exception {
        if (core != null) {
            open("add-gate");
            open("del-gate");
            core.close();
        }
    }

    @Test
    void cniAddRunsWhileTheBackendStartsTheInfraProcess() throws Exception {
        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        core.backend.holdNext("runSandbox", reached, release);
        CompletableFuture<String> run = CompletableFuture.supplyAsync(() -> sandboxes.runPodSandbox(CriRequests.pod("web")));
        assertTrue(reached.await(30, TimeUnit.SECONDS), "the backend's runSandbox is called while CNI ADD waits for its gate");
        String id = sandboxes.listPodSandbox(SandboxFilter.ALL).get(0).id();
        assertEquals(Sandbox.State.NOT_READY, sandboxes.status(id).state());
        assertEquals("", sandboxes.status(id).network().ip(), "no IP is shown before ADD is over");
        open("add-gate");
        release.countDown();
        assertEquals(id, run.get(60, TimeUnit.SECONDS));
        assertEquals(Sandbox.State.READY, sandboxes.status(id).state());
        assertEquals("10.99.0.7", sandboxes.status(id).network().ip(), "the pod's IP from CNI ADD, joined before READY");
    }

    @Test
    void cniDelRunsWhileTheBackendStopsTheInfraProcessAndTheNamespaceGoesAfterBoth() throws Exception {
        open("add-gate");
        String id = sandboxes.runPodSandbox(CriRequests.pod("web"));
        Path netns = core.config.state().resolve("netns").resolve(id);
        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        core.backend.holdNext("stopSandbox", reached, release);
        CompletableFuture<Void> stop = CompletableFuture.runAsync(() -> sandboxes.stop(id));
        assertTrue(reached.await(30, TimeUnit.SECONDS), "the backend's stopSandbox is called while CNI DEL waits for its gate");
        assertTrue(Files.exists(mark(id)), "the stop is marked while under way");
        open("del-gate");
        Path cniResult = core.config.root().resolve("cni/results/" + id + ".json");
        for (int i = 0; i < 300 && Files.exists(cniResult); i++) {
            Thread.sleep(100);
        }
        assertFalse(Files.exists(cniResult), "CNI DEL is over while the backend's stopSandbox is still held");
        assertTrue(Files.exists(netns), "the namespace DEL ran in stays pinned until the infra process's stop is over too");
        release.countDown();
        stop.get(60, TimeUnit.SECONDS);
        assertEquals(Sandbox.State.NOT_READY, sandboxes.status(id).state());
        assertEquals("", sandboxes.status(id).network().ip());
        assertFalse(Files.exists(netns), "the namespace is gone after both");
        assertFalse(Files.exists(mark(id)), "the stop's mark is gone");
    }

    @Test
    void aFailedCniAddIsTheErrorShownEvenWhenTheBackendFailsTooAndNothingIsLeft() throws Exception {
        open("add-fails");
        open("del-gate"); // the DEL that rolls a failed ADD back
        core.backend.failNext("runSandbox");
        BackendException e = assertThrows(BackendException.class, () -> sandboxes.runPodSandbox(CriRequests.pod("web")));
        assertTrue(e.getMessage().contains("crisp-beside") && e.getMessage().contains("no addresses left"), e.getMessage());
        assertTrue(Arrays.stream(e.getSuppressed()).anyMatch(s -> s.getMessage().contains("runSandbox")),
                () -> "the backend's failure is kept with it: " + Arrays.toString(e.getSuppressed()));
        assertNothingLeft();

        BackendException alone = assertThrows(BackendException.class, () -> sandboxes.runPodSandbox(CriRequests.pod("web")));
        assertTrue(alone.getMessage().contains("no addresses left"), alone.getMessage());
        assertNothingLeft();

        Files.delete(dir.resolve("add-fails"));
        open("add-gate");
        String id = sandboxes.runPodSandbox(CriRequests.pod("web"));
        assertEquals(Sandbox.State.READY, sandboxes.status(id).state(), "the pod's name was released");
    }

    @Test
    void aBackendFailingAtStopIsTheErrorShownAndARetryFinishesTheStop() throws Exception {
        open("add-gate");
        open("del-gate");
        String id = sandboxes.runPodSandbox(CriRequests.pod("web"));
        core.backend.failNext("stopSandbox");
        BackendException e = assertThrows(BackendException.class, () -> sandboxes.stop(id));
        assertTrue(e.getMessage().contains("stopSandbox"), e.getMessage());
        assertTrue(Files.exists(mark(id)), "a failed stop keeps its mark for a restart");
        sandboxes.stop(id);
        assertEquals(Sandbox.State.NOT_READY, sandboxes.status(id).state());
        assertFalse(Files.exists(core.config.state().resolve("netns").resolve(id)));
        assertFalse(Files.exists(mark(id)));
    }

    @Test
    void aBackendWithoutLatePodNetworkGetsThePodWiredBeforeItsStartAndUnwiredAfterItsStop() throws Exception {
        core.close();
        core = new InProcessCore(dir, new InMemoryBackend(EnumSet.of(Capability.POD_LIFECYCLE)));
        sandboxes = core.lifecycle.sandboxes();
        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        core.backend.holdNext("runSandbox", reached, release);
        CompletableFuture<String> run = CompletableFuture.supplyAsync(() -> sandboxes.runPodSandbox(CriRequests.pod("web")));
        for (int i = 0; i < 300 && !Files.exists(dir.resolve("add-started")); i++) {
            Thread.sleep(100);
        }
        assertTrue(Files.exists(dir.resolve("add-started")), "CNI ADD started");
        // a runSandbox beside the blocked ADD (wrongly) would be reached within this
        assertFalse(reached.await(500, TimeUnit.MILLISECONDS), "no runSandbox while CNI ADD waits for its gate");
        open("add-gate");
        assertTrue(reached.await(30, TimeUnit.SECONDS));
        String id = sandboxes.listPodSandbox(SandboxFilter.ALL).get(0).id();
        Path cniResult = core.config.root().resolve("cni/results/" + id + ".json");
        assertTrue(Files.readString(cniResult).contains("10.99.0.7"), "CNI ADD was over before the backend's runSandbox");
        release.countDown();
        assertEquals(Sandbox.State.READY, sandboxes.status(run.get(60, TimeUnit.SECONDS)).state());

        CountDownLatch stopReached = new CountDownLatch(1);
        CountDownLatch stopRelease = new CountDownLatch(1);
        core.backend.holdNext("stopSandbox", stopReached, stopRelease);
        open("del-gate");
        CompletableFuture<Void> stop = CompletableFuture.runAsync(() -> sandboxes.stop(id));
        assertTrue(stopReached.await(30, TimeUnit.SECONDS));
        Thread.sleep(500); // a DEL beside the held stop (wrongly; its gate is open) would be over within this
        assertTrue(Files.exists(cniResult), "no CNI DEL while the backend's stopSandbox runs");
        stopRelease.countDown();
        stop.get(60, TimeUnit.SECONDS);
        assertFalse(Files.exists(cniResult), "CNI DEL ran after the stop");
        assertEquals(Sandbox.State.NOT_READY, sandboxes.status(id).state());
    }

    private void assertNothingLeft() throws Exception {
        assertEquals(List.of(), sandboxes.listPodSandbox(SandboxFilter.ALL));
        assertEquals(Set.of(), core.backend.sandboxIds());
        assertEquals(List.of(), core.traces(), "bundle, rootfs snapshot and its mount, netns and CNI result are gone");
    }

    private Path mark(String id) {
        return core.config.root().resolve("pods").resolve(id + ".stopping");
    }

    private void open(String gate) throws Exception {
        Path file = dir.resolve(gate);
        if (!Files.exists(file)) {
            Files.createFile(file);
        }
    }
}
