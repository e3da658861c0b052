package io.crisp.core.image;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long pull is not silent in the daemon's log: once a pull has run for {@code image_pull_log_interval}
 * it logs one INFO line, and another each interval while it runs; a pull that ends sooner logs
 * nothing here. Each pull gets a timer task, cancelled when it ends, so an idle daemon has no
 * periodic work (the timer's one thread goes away after a minute without pulls).
 */
final class PullProgressLog {
    private static final Logger log = LoggerFactory.getLogger(PullProgressLog.class);

    private final ScheduledThreadPoolExecutor timer;
    private final Consumer<String> sink;
    /** Tasks of pulls that have not ended: the timer's queue misses a task while it runs. */
    private final Set<ScheduledFuture<?>> watched = ConcurrentHashMap.newKeySet();
    private volatile Supplier<Duration> interval = () -> Duration.ofSeconds(10);

    PullProgressLog() {
        this(log::info);
    }

    /** Tells each line to {@code sink} instead of the log. */
    PullProgressLog(Consumer<String> sink) {
        this.sink = sink;
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "crisp-pull-log");
            t.setDaemon(true);
            return t;
        });
        timer.setKeepAliveTime(1, TimeUnit.MINUTES);
        timer.allowCoreThreadTimeOut(true);
        timer.setRemoveOnCancelPolicy(true);
    }

    /** How often a running pull is logged; read when each pull starts, so a reload applies to the next one. */
    void every(Supplier<Duration> interval) {
        this.interval = Objects.requireNonNull(interval, "interval is null");
    }

    /** Logs {@code transfer} every interval from now until the returned handle runs. */
    Runnable watch(Transfers.Transfer transfer) {
        long millis = Math.max(1, interval.get().toMillis());
        ScheduledFuture<?> task = timer.scheduleAtFixedRate(() -> {
            try {
                sink.accept(line(transfer, System.currentTimeMillis()));
            } catch (RuntimeException e) {
                log.debug("cannot log the progress of {}", transfer.name(), e);
            }
        }, millis, millis, TimeUnit.MILLISECONDS);
        watched.add(task);
        return () -> {
            task.cancel(false);
            watched.remove(task);
        };
    }

    /** Pulls being watched now: a pull's task is gone once it has ended. */
    int watching() {
        return watched.size();
    }

    /**
     * {@code Pulling NAME for 12 s: 30.5 of 120.0 MiB (25%), 2.5 MiB/s, 1/4 layers}; before the
     * manifest is read only the time and the bytes so far.
     */
    static String line(Transfers.Transfer t, long nowMillis) {
        long elapsedMillis = Math.max(1, nowMillis - t.startedMillis());
        StringBuilder line = new StringBuilder("Pulling ").append(t.name()).append(" for ").append(elapsedMillis / 1000).append(" s: ");
        long done = t.bytesDone();
        if (t.bytesTotal() > 0) {
            line.append(mib(done)).append(" of ").append(mib(t.bytesTotal())).append(" MiB (").append(Math.min(100, done * 100 / t.bytesTotal()))
                    .append("%)");
        } else {
            line.append(mib(done)).append(" MiB, waiting for the manifest");
        }
        line.append(", ").append(mib(done * 1000 / elapsedMillis)).append(" MiB/s");
        if (t.layersTotal() >= 0) {
            line.append(", ").append(t.layersDone()).append('/').append(t.layersTotal()).append(" layers");
        }
        return line.toString();
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / (double) (1 << 20));
    }
}
