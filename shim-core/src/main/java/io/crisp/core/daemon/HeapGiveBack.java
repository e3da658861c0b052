package io.crisp.core.daemon;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives back to the node the heap a burst of work grew, once the burst is over. The launcher runs
 * the daemon on the Serial collector, which shrinks the heap only at a full collection, and after a
 * burst the daemon rarely reaches one: removing 100 pods at once left the heap committed at 27 MB
 * (its last full collection ran mid-burst, with hundreds of calls in flight) for as long as the
 * daemon ran. What G1's periodic collection does for G1, this does for Serial: every period it looks,
 * and when the heap is committed at least 4 MiB beyond its initial size, young collections ran since
 * its last collection (there was a burst) but none during the last 12 s (the burst is over, and the
 * threads it made have retired), and a minute has passed since it last asked, it asks for one full
 * collection, after which the JVM shrinks the heap to {@code -XX:MaxHeapFreeRatio} (the launcher's
 * {@code -XX:-ShrinkHeapInSteps} makes one enough). A collection that gave nothing back
 * doubles the wait before the next (up to an hour): a heap that is simply full of live data is not
 * collected every minute. Under another collector (a user's {@code CRISP_JAVA_OPTS}) it does nothing.
 */
final class HeapGiveBack {
    private static final Logger log = LoggerFactory.getLogger(HeapGiveBack.class);
    /** How often the daemon looks. */
    static final Duration PERIOD = Duration.ofSeconds(2);
    static final long GROWTH = 4L << 20;
    /**
     * Periods without a young collection before the burst counts as over: 12 s, past the 10 s after
     * which the RPC pool's extra threads retire (the objects their calls and caches held die with them).
     */
    static final int QUIET_PERIODS = 6;
    static final Duration MIN_WAIT = Duration.ofMinutes(1);
    static final Duration MAX_WAIT = Duration.ofHours(1);

    private final MemoryPoolMXBean tenured;
    private final LongSupplier youngCollections;
    private final Runnable collect;
    private final LongSupplier clock;
    private long youngSeen;
    private boolean busySinceAsked;
    private int quietPeriods;
    private long askedAt;
    private Duration wait = MIN_WAIT;

    /**
     * @param youngCollections how many young collections ran so far
     * @param collect asks for a full collection
     * @param clock monotonic milliseconds
     */
    HeapGiveBack(MemoryPoolMXBean tenured, LongSupplier youngCollections, Runnable collect, LongSupplier clock) {
        this.tenured = tenured;
        this.youngCollections = youngCollections;
        this.collect = collect;
        this.clock = clock;
        this.youngSeen = youngCollections.getAsLong();
        this.askedAt = clock.getAsLong() - MIN_WAIT.toMillis();
    }

    /**
     * Watches this JVM's heap every {@code period} from a daemon thread of its own, which first
     * looks the collector up (off the start's path: the management classes load there) and ends at
     * once when it is not Serial. Returns what stops it.
     */
    static Runnable start(Duration period) {
        Thread thread = new Thread(() -> {
            try {
                Thread.sleep(period.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            Optional<MemoryPoolMXBean> tenured = ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(pool -> pool.getName().equals("Tenured Gen")).findFirst();
            Optional<GarbageCollectorMXBean> young = ManagementFactory.getGarbageCollectorMXBeans().stream()
                    .filter(gc -> gc.getName().equals("Copy")).findFirst();
            if (tenured.isPresent() && young.isPresent()) {
                new HeapGiveBack(tenured.get(), young.get()::getCollectionCount, System::gc, () -> System.nanoTime() / 1_000_000).loop(period);
            }
        }, "crisp-heap-give-back");
        thread.setDaemon(true);
        thread.start();
        return thread::interrupt;
    }

    private void loop(Duration period) {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(period.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            try {
                tick();
            } catch (RuntimeException e) {
                log.debug("heap check failed: {}", e.toString());
            }
        }
    }

    /** One look; true when it asked for a full collection. */
    boolean tick() {
        long young = youngCollections.getAsLong();
        boolean quiet = young == youngSeen;
        youngSeen = young;
        if (!quiet) {
            busySinceAsked = true;
            quietPeriods = 0;
            return false;
        }
        if (++quietPeriods < QUIET_PERIODS) {
            return false;
        }
        MemoryUsage before = tenured.getUsage();
        long now = clock.getAsLong();
        if (!busySinceAsked || now - askedAt < wait.toMillis() || !grown(before)) {
            return false;
        }
        collect.run();
        youngSeen = youngCollections.getAsLong();
        busySinceAsked = false;
        quietPeriods = 0;
        askedAt = now;
        MemoryUsage after = tenured.getUsage();
        boolean gaveBack = after.getCommitted() <= before.getCommitted() - GROWTH / 2;
        wait = gaveBack ? MIN_WAIT : (wait.multipliedBy(2).compareTo(MAX_WAIT) > 0 ? MAX_WAIT : wait.multipliedBy(2));
        log.debug("heap: a full collection after a burst: tenured {} of {} KiB committed before, {} of {} KiB after",
                before.getUsed() >> 10, before.getCommitted() >> 10, after.getUsed() >> 10, after.getCommitted() >> 10);
        return true;
    }

    /** Committed at least {@link #GROWTH} beyond the start's size. */
    static boolean grown(MemoryUsage usage) {
        return usage.getInit() >= 0 && usage.getCommitted() >= usage.getInit() + GROWTH;
    }
}
