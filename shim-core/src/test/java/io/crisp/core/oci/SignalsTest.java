package io.crisp.core.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

final class SignalsTest {
    @Test
    void namesNumbersAndEmpty() {
        assertEquals(15, Signals.number("SIGTERM"));
        assertEquals(15, Signals.number("TERM"));
        assertEquals(15, Signals.number("15"));
        assertEquals(15, Signals.number(""));
        assertEquals(15, Signals.number(null));
        assertEquals(9, Signals.number("sigkill"));
        assertEquals(3, Signals.number("SIGQUIT"));
        assertEquals(10, Signals.number("USR1"));
        assertEquals(12, Signals.number("SIGUSR2"));
        assertEquals(17, Signals.number("SIGCHLD"));
        assertEquals(28, Signals.number("SIGWINCH"));
        assertEquals(6, Signals.number("SIGIOT"));
    }

    @Test
    void realtimeSignals() {
        assertEquals(34, Signals.number("SIGRTMIN"));
        assertEquals(37, Signals.number("SIGRTMIN+3"));
        assertEquals(37, Signals.number("RTMIN+3"));
        assertEquals(37, Signals.number("SIGRTMINPLUS3"));
        assertEquals(64, Signals.number("SIGRTMAX"));
        assertEquals(62, Signals.number("SIGRTMAX-2"));
        assertEquals(50, Signals.number("SIGRTMAXMINUS14"));
        assertEquals(64, Signals.number("64"));
    }

    @Test
    void unknownSignalsAreNamed() {
        for (String bad : new String[] {"SIGFOO", "0", "65", "32", "SIGRTMIN+31", "RTMIN+", "-1", "99999999"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Signals.number(bad), bad);
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
    }
}
