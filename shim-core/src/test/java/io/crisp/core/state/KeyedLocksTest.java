package io.crisp.core.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

final class KeyedLocksTest {
    @Test
    void callsForOneIdNeverOverlapWhileOtherIdsProceed() throws Exception {
        KeyedLocks locks = new KeyedLocks();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch otherIdRan = new CountDownLatch(1);
        for (int i = 0; i < 200; i++) {
            pool.submit(() -> locks.run("same", () -> {
                maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                Thread.onSpinWait();
                inside.decrementAndGet();
            }));
        }
        locks.run("same", () -> pool.submit(() -> locks.run("other", otherIdRan::countDown)));
        pool.shutdown();
        assertEquals(true, pool.awaitTermination(10, TimeUnit.SECONDS));
        assertEquals(1, maxInside.get());
        assertEquals(0, otherIdRan.getCount());
    }
}
