package io.crisp.core.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryUsage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** When the daemon asks for a full collection to give a burst's heap back, and when it leaves the heap alone. */
final class HeapGiveBackTest {
    private static final long MIB = 1 << 20;

    private final MemoryPoolMXBean pool = mock(MemoryPoolMXBean.class);
    private final AtomicLong young = new AtomicLong(100);
    private final AtomicLong millis = new AtomicLong(1_000_000);
    private final AtomicInteger collections = new AtomicInteger();
    /** Committed tenured size after a full collection (the live data's share of MaxHeapFreeRatio). */
    private long shrinksTo = 16;
    private HeapGiveBack watcher;

    /** Tenured generation usage: init 14 MiB (the launcher's -Xms16m less -Xmn2m). */
    private static MemoryUsage tenured(long usedMib, long committedMib) {
        return new MemoryUsage(14 * MIB, usedMib * MIB, committedMib * MIB, 254 * MIB);
    }

    @BeforeEach
    void setUp() {
        when(pool.getUsage()).thenReturn(tenured(12, 14));
        watcher = new HeapGiveBack(pool, young::get, () -> {
            collections.incrementAndGet();
            when(pool.getUsage()).thenReturn(tenured(10, shrinksTo));
        }, millis::get);
    }

    /** One period: {@code youngGcs} young collections ran during it. */
    private boolean period(int youngGcs) {
        young.addAndGet(youngGcs);
        millis.addAndGet(2_000);
        return watcher.tick();
    }

    @Test
    void aHeapStillAtItsStartSizeIsLeftAlone() {
        assertTrue(HeapGiveBack.grown(tenured(17, 18)));
        assertFalse(HeapGiveBack.grown(tenured(13, 17)), "committed less than 4 MiB beyond the initial 14");
        period(5);
        assertFalse(period(0));
        assertEquals(0, collections.get());
    }

    @Test
    void collectsOnceWhenABurstThatGrewTheHeapIsOver() {
        when(pool.getUsage()).thenReturn(tenured(24, 27));
        assertFalse(period(30), "young collections ran during the period: the burst goes on");
        assertFalse(period(12));
        for (int i = 1; i < HeapGiveBack.QUIET_PERIODS; i++) {
            assertFalse(period(0), "quiet for " + i + " periods: the burst's threads may not have retired");
        }
        assertTrue(period(0), "quiet long enough after the burst: collect");
        assertEquals(1, collections.get());
        for (int i = 0; i < 100; i++) {
            assertFalse(period(i % 3 == 0 ? 1 : 0), "given back: the committed heap is back near its initial size");
        }
        assertEquals(1, collections.get());
    }

    @Test
    void neverWithoutActivitySinceTheLastCollection() {
        when(pool.getUsage()).thenReturn(tenured(24, 27));
        assertFalse(period(0), "the start's own growth: no young collection seen yet");
        assertFalse(period(0));
        assertEquals(0, collections.get());
    }

    @Test
    void aHeapFullOfLiveDataIsCollectedEverLessOften() {
        shrinksTo = 27; // nothing given back
        when(pool.getUsage()).thenReturn(tenured(24, 27));
        int[] at = new int[6];
        int n = 0;
        // Ten hours of a busy period then a quiet one.
        for (int p = 0; p < 18_000 && n < at.length; p++) {
            if (period(p % 8 == 0 ? 1 : 0)) {
                at[n++] = p;
            }
        }
        assertEquals(6, n);
        // 2, 4, 8, 16, 32 minutes apart (30 periods a minute): each gave nothing back
        for (int i = 1; i < at.length; i++) {
            int minutes = (at[i] - at[i - 1]) / 30;
            assertEquals(2 << (i - 1), minutes, "collection " + i + " after " + (at[i] - at[i - 1]) + " periods");
        }
    }
}
