package io.crisp.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

final class DurationsTest {
    @Test
    void parsesGoStyleAndIso() {
        assertEquals(Duration.ofMinutes(5), Durations.parse("5m0s"));
        assertEquals(Duration.ofMillis(250), Durations.parse("250ms"));
        assertEquals(Duration.ofMinutes(90), Durations.parse("1h30m"));
        assertEquals(Duration.ofSeconds(30), Durations.parse("PT30S"));
        assertEquals(Duration.ZERO, Durations.parse("0"));
    }

    @Test
    void refusesGarbage() {
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("5 minutes"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("m5"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse(""));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("5x"));
    }

    @Test
    void formatsBack() {
        assertEquals("5m", Durations.format(Duration.ofMinutes(5)));
        assertEquals("1h30m", Durations.format(Duration.ofMinutes(90)));
        assertEquals("1s250ms", Durations.format(Duration.ofMillis(1250)));
        assertEquals("0s", Durations.format(Duration.ZERO));
        assertEquals(Duration.ofMillis(1250), Durations.parse(Durations.format(Duration.ofMillis(1250))));
    }
}
