package io.crisp.client.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Call latencies and failures per RPC, gathered in consecutive time windows (say one a minute) so a
 * long run shows whether calls get slower or start failing over time. Thread-safe: many callers
 * {@link #record} at once; one reporter {@link #roll}s a window over. Failures are counted by RPC and
 * status code, and kept apart from expected races (a status asked for a pod being replaced).
 */
final class LatencyWindows {
    /** One RPC's figures in one window; latencies in nanoseconds, percentiles by nearest rank. */
    record Row(String rpc, int calls, int errors, long p50, long p90, long p99, long max) {}

    /** A closed window: its bounds in seconds since the start, and one row per RPC called in it. */
    record Window(int index, double fromSeconds, double toSeconds, List<Row> rows) {}

    private final long startNanos;
    private long windowStartNanos;
    private int index;
    private Map<String, LongList> current = new TreeMap<>();
    private Map<String, Integer> currentErrors = new TreeMap<>();
    private final Map<String, LongList> total = new TreeMap<>();
    private final Map<String, Integer> errorsByCode = new TreeMap<>();
    private final Map<String, Integer> racesByCode = new TreeMap<>();

    LatencyWindows(long startNanos) {
        this.startNanos = startNanos;
        this.windowStartNanos = startNanos;
    }

    /** A call that succeeded (or failed: its latency counts either way) and took {@code nanos}. */
    synchronized void record(String rpc, long nanos) {
        current.computeIfAbsent(rpc, k -> new LongList()).add(nanos);
        total.computeIfAbsent(rpc, k -> new LongList()).add(nanos);
    }

    /** A failed call: counted by RPC and code, as an error or (expected) as a race with a replacement. */
    synchronized void failure(String rpc, String code, boolean race) {
        String key = rpc + " " + code;
        if (race) {
            racesByCode.merge(key, 1, Integer::sum);
        } else {
            errorsByCode.merge(key, 1, Integer::sum);
            currentErrors.merge(rpc, 1, Integer::sum);
        }
    }

    /** Closes the current window at {@code nowNanos} and opens the next. */
    synchronized Window roll(long nowNanos) {
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<String, LongList> e : current.entrySet()) {
            rows.add(row(e.getKey(), e.getValue(), currentErrors.getOrDefault(e.getKey(), 0)));
        }
        for (Map.Entry<String, Integer> e : currentErrors.entrySet()) {
            if (!current.containsKey(e.getKey())) {
                rows.add(new Row(e.getKey(), 0, e.getValue(), 0, 0, 0, 0));
            }
        }
        Window w = new Window(index++, (windowStartNanos - startNanos) / 1e9, (nowNanos - startNanos) / 1e9, rows);
        current = new TreeMap<>();
        currentErrors = new TreeMap<>();
        windowStartNanos = nowNanos;
        return w;
    }

    /** All calls of the run per RPC (errors summed over codes). */
    synchronized List<Row> totals() {
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<String, LongList> e : total.entrySet()) {
            int errors = errorsByCode.entrySet().stream().filter(x -> x.getKey().startsWith(e.getKey() + " "))
                    .mapToInt(Map.Entry::getValue).sum();
            rows.add(row(e.getKey(), e.getValue(), errors));
        }
        return rows;
    }

    synchronized Map<String, Integer> errors() {
        return new TreeMap<>(errorsByCode);
    }

    synchronized Map<String, Integer> races() {
        return new TreeMap<>(racesByCode);
    }

    private static Row row(String rpc, LongList values, int errors) {
        long[] sorted = values.sorted();
        return new Row(rpc, sorted.length, errors, percentile(sorted, 50), percentile(sorted, 90), percentile(sorted, 99),
                sorted.length == 0 ? 0 : sorted[sorted.length - 1]);
    }

    /** Nearest-rank percentile of sorted values: the smallest value with at least p % of all at or below it. */
    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
    }

    /** The window as a table, milliseconds with two decimals. */
    static String format(Window w) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "window %d (%.0f-%.0f s): latency in ms%n", w.index(),
                w.fromSeconds(), w.toSeconds()));
        b.append(table(w.rows()));
        return b.toString();
    }

    static String table(List<Row> rows) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "  %-24s %8s %6s %9s %9s %9s %9s%n", "rpc", "calls", "errors",
                "p50", "p90", "p99", "max"));
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "  %-24s %8d %6d %9.2f %9.2f %9.2f %9.2f%n", r.rpc(), r.calls(), r.errors(),
                    r.p50() / 1e6, r.p90() / 1e6, r.p99() / 1e6, r.max() / 1e6));
        }
        return b.toString();
    }

    /** CSV lines (no header) of a window: from_s,to_s,rpc,calls,errors,p50_ms,p90_ms,p99_ms,max_ms. */
    static List<String> csv(Window w) {
        List<String> lines = new ArrayList<>();
        for (Row r : w.rows()) {
            lines.add(String.format(Locale.ROOT, "%.0f,%.0f,%s,%d,%d,%.3f,%.3f,%.3f,%.3f", w.fromSeconds(), w.toSeconds(), r.rpc(),
                    r.calls(), r.errors(), r.p50() / 1e6, r.p90() / 1e6, r.p99() / 1e6, r.max() / 1e6));
        }
        return lines;
    }

    /** A growable array of longs: a 30-minute run records a few hundred thousand latencies per RPC. */
    private static final class LongList {
        private long[] values = new long[64];
        private int size;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        long[] sorted() {
            long[] copy = Arrays.copyOf(values, size);
            Arrays.sort(copy);
            return copy;
        }
    }
}
