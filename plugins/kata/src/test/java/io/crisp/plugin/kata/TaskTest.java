package io.crisp.plugin.kata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.model.ContainerState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

final class TaskTest {
    private static Task task() {
        return new Task("c1", "sb1", false, Path.of("/bundle"), Optional.empty(), false, false, false);
    }

    @Test
    void anExitSeenBeforeTheStartAnswerKeepsTheStartTime() {
        // The shim's TaskExit event overtook the answer to Start: a process that exits at once.
        Task t = task();
        Instant exitedAt = Instant.parse("2026-01-01T00:00:01Z");
        t.exited(3, exitedAt);
        t.started(4242, exitedAt.plusMillis(5));
        ContainerState state = t.state();
        assertEquals(ContainerState.Phase.EXITED, state.phase());
        assertEquals(4242, state.pid().orElseThrow());
        assertEquals(exitedAt, state.startedAt().orElseThrow(), "never after the exit");
        assertEquals(3, state.exit().orElseThrow().code());
    }

    @Test
    void anOrdinaryStartRuns() {
        Task t = task();
        Instant at = Instant.parse("2026-01-01T00:00:01Z");
        t.started(7, at);
        assertEquals(ContainerState.Phase.RUNNING, t.state().phase());
        assertEquals(at, t.state().startedAt().orElseThrow());
        t.started(8, at.plusSeconds(1));
        assertEquals(7, t.state().pid().orElseThrow(), "a second start answer changes nothing");
        assertTrue(t.exited(0, at.plusSeconds(2)));
    }
}
