package io.crisp.client.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LatencyWindowsTest {
    private static final long MS = 1_000_000;

    @Test
    void percentilesAreNearestRank() {
        long[] hundred = new long[100];
        for (int i = 0; i < 100; i++) {
            hundred[i] = i + 1;
        }
        assertEquals(50, LatencyWindows.percentile(hundred, 50));
        assertEquals(90, LatencyWindows.percentile(hundred, 90));
        assertEquals(99, LatencyWindows.percentile(hundred, 99));
        assertEquals(100, LatencyWindows.percentile(hundred, 100));
        long[] three = {10, 20, 30};
        assertEquals(20, LatencyWindows.percentile(three, 50));
        assertEquals(30, LatencyWindows.percentile(three, 90), "ceil(0.9 * 3) = 3rd value");
        assertEquals(10, LatencyWindows.percentile(new long[] {10}, 1));
        assertEquals(0, LatencyWindows.percentile(new long[0], 50));
    }

    @Test
    void eachWindowHoldsOnlyItsOwnCallsAndTheTotalsHoldAll() {
        LatencyWindows w = new LatencyWindows(0);
        for (int i = 1; i <= 10; i++) {
            w.record("ListPodSandbox", i * MS);
        }
        w.failure("ListPodSandbox", "UNAVAILABLE", false);
        LatencyWindows.Window first = w.roll(60_000 * MS);
        w.record("ListPodSandbox", 500 * MS);
        w.failure("ExecSync", "DEADLINE_EXCEEDED", false);
        w.failure("PodSandboxStatus", "NOT_FOUND", true);
        LatencyWindows.Window second = w.roll(120_000 * MS);

        assertEquals(0, first.index());
        assertEquals(60.0, first.toSeconds());
        LatencyWindows.Row a = first.rows().get(0);
        assertEquals(new LatencyWindows.Row("ListPodSandbox", 10, 1, 5 * MS, 9 * MS, 10 * MS, 10 * MS), a);

        assertEquals(1, second.index());
        assertEquals(60.0, second.fromSeconds());
        assertEquals(List.of(new LatencyWindows.Row("ListPodSandbox", 1, 0, 500 * MS, 500 * MS, 500 * MS, 500 * MS),
                new LatencyWindows.Row("ExecSync", 0, 1, 0, 0, 0, 0)), second.rows());

        LatencyWindows.Row total = w.totals().get(0);
        assertEquals(11, total.calls());
        assertEquals(1, total.errors());
        assertEquals(500 * MS, total.max());
        assertEquals(Map.of("ListPodSandbox UNAVAILABLE", 1, "ExecSync DEADLINE_EXCEEDED", 1), w.errors());
        assertEquals(Map.of("PodSandboxStatus NOT_FOUND", 1), w.races(), "a race is not an error");
        assertTrue(LatencyWindows.csv(second).get(0).startsWith("60,120,ListPodSandbox,1,0,500.000,"));
    }

    @Test
    void durationsTakeAUnitAndRefuseNonsense() {
        assertEquals(Duration.ofMinutes(30), KubeletLoad.parseDuration("--duration", "30m"));
        assertEquals(Duration.ofMillis(2500), KubeletLoad.parseDuration("--replace-every", "2.5s"));
        assertEquals(Duration.ofSeconds(90), KubeletLoad.parseDuration("--duration", "90"));
        assertEquals(Duration.ofHours(2), KubeletLoad.parseDuration("--duration", "2h"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KubeletLoad.parseDuration("--duration", "soon"));
        assertTrue(e.getMessage().startsWith("--duration: "), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KubeletLoad.parseDuration("--replace-every", "0s"));
    }
}
