package io.crisp.core.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

final class CallsInFlightTest {
    private final CallsInFlight<Integer> calls = new CallsInFlight<>();

    @Test
    void anExitDuringTheCallIsKeptForItAndTheFirstOneWins() {
        calls.begin("a");
        assertTrue(calls.noteExit("a", 3), "the caller must not lock: the call applies the exit");
        assertTrue(calls.noteExit("a", 9));
        assertFalse(calls.noteExit("b", 1), "b has no call in flight: its exit goes the usual way");
        assertEquals(Optional.of(3), calls.finish("a"));
        assertFalse(calls.noteExit("a", 4), "after finish, exits go the usual way again");
        assertEquals(Optional.empty(), calls.finish("a"));
    }

    @Test
    void aCallWithoutAnExitFinishesEmpty() {
        calls.begin("a");
        assertEquals(Optional.empty(), calls.finish("a"));
    }
}
