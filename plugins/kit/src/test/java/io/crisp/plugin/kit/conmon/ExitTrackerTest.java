package io.crisp.plugin.kit.conmon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.model.ContainerState.Phase;
import io.crisp.spi.model.ExitStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exit files as conmon writes them, read back into exits and events; no conmon runs here. */
final class ExitTrackerTest {
    @TempDir
    Path stateDir;

    private final Map<String, Tracked> objects = new ConcurrentHashMap<>();
    private final List<String> events = new ArrayList<>();
    private ContainerFiles files;
    private ExitTracker exits;

    @BeforeEach
    void setUp() throws IOException {
        files = new ContainerFiles(stateDir);
        files.createLayout();
        ConmonLauncher conmon = new ConmonLauncher(new OciCliConfig(Path.of("/nonexistent/runtime"), stateDir.resolve("root"),
                Path.of("/nonexistent/conmon")), files);
        ContainerEventSink sink = new ContainerEventSink() {
            @Override
            public synchronized void exited(String containerId, ExitStatus status) {
                events.add("exited " + containerId + " " + status.code() + " " + status.reason().orElse(""));
            }

            @Override
            public synchronized void oomKilled(String containerId) {
                events.add("oom " + containerId);
            }
        };
        exits = new ExitTracker(files, conmon, sink, id -> Optional.ofNullable(objects.get(id)), objects.values());
    }

    private Tracked started(String id) throws IOException {
        Tracked t = new Tracked(id, false, "n", stateDir.resolve("bundle"), stateDir.resolve("log"), Tracked.Stdio.NONE);
        Files.createDirectories(files.dir(id));
        t.started(Instant.now());
        objects.put(id, t);
        return t;
    }

    @Test
    void exitCodeAndOomMarkerBecomeTheReasonAndAreReportedOnce() throws IOException {
        Tracked oom = started("c1");
        Tracked ok = started("c2");
        Tracked failed = started("c3");
        assertFalse(exits.refresh(oom), "no exit file yet");
        Files.writeString(files.oomFile("c1"), "");
        Files.writeString(files.exitFile("c1"), "137\n");
        Files.writeString(files.exitFile("c2"), "0");
        Files.writeString(files.exitFile("c3"), "3");

        exits.exitFileChanged("c1");
        exits.exitFileChanged("c1");
        exits.rescan();
        assertEquals(List.of("oom c1", "exited c1 137 OOMKilled"), events.subList(0, 2));
        assertEquals(4, events.size(), events.toString());
        assertTrue(events.containsAll(List.of("exited c2 0 Completed", "exited c3 3 Error")), events.toString());
        assertEquals(Phase.EXITED, oom.containerState().phase());
        assertEquals(3, failed.exit().orElseThrow().code());
        assertFalse(ok.running());
    }

    @Test
    void aHalfWrittenExitFileIsNotAnExitAndOtherNamesAreIgnored() throws IOException {
        Tracked t = started("c1");
        Files.writeString(files.exitFile("c1"), "");
        exits.exitFileChanged("c1");
        exits.exitFileChanged("../c1");
        exits.exitFileChanged("unknown");
        assertFalse(exits.refresh(t));
        assertTrue(t.running());
        assertEquals(List.of(), events);
    }

    @Test
    void awaitRecordsALostExitWhenConmonAndTheContainerAreGone() throws Exception {
        Tracked t = started("c1");
        long began = System.nanoTime();
        assertTrue(exits.await(t, Duration.ofSeconds(10)));
        assertTrue(System.nanoTime() - began < Duration.ofSeconds(5).toNanos(), "no waiting for what cannot exit");
        assertEquals(255, t.exit().orElseThrow().code());
        assertEquals("255", Files.readString(files.exitFile("c1")).trim(), "written where a restarted backend finds it");
    }

    @Test
    void anObjectReadBackStartedWithNothingLeftRunningIsSettledAsLost() throws Exception {
        Tracked gone = started("c1");
        exits.settleIfLost(gone);
        assertEquals(Phase.EXITED, gone.containerState().phase(), "no conmon, no process, no exit file: not running");
        assertEquals(255, gone.exit().orElseThrow().code());

        Tracked exited = started("c2");
        Files.writeString(files.exitFile("c2"), "0");
        exits.settleIfLost(exited);
        assertEquals(0, exited.exit().orElseThrow().code(), "an exit conmon wrote is kept");

        Tracked created = new Tracked("c3", false, "n", stateDir.resolve("bundle"), stateDir.resolve("log"), Tracked.Stdio.NONE);
        Files.createDirectories(files.dir("c3"));
        exits.settleIfLost(created);
        assertEquals(Phase.CREATED, created.containerState().phase(), "a container not started yet has nothing to lose");

        Tracked alive = started("c4");
        alive.pid(ProcessHandle.current().pid());
        exits.settleIfLost(alive);
        assertTrue(alive.running(), "its process still runs");
    }
}
