package io.crisp.client.bench;

import io.crisp.admin.v1.ImportImagesRequest;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.VersionRequest;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plays the kubelet against a running daemon for a given time ({@link FakeKubelet}: N pods, relist
 * every second, stats and an ExecSync probe per container every 10 s, one pod replaced every few
 * seconds) and reports: failures by RPC and status code, latency percentiles per RPC per window, the
 * daemon's RSS, heap, threads and descriptors over time, and a {@link LeakSnapshot} after every pod
 * was removed, against one taken before the first pod.
 *
 * <p>Run through {@code packaging/bench/kubelet-load.sh}, which starts the daemon; the options:
 * {@code --socket --daemon-pid --work --bridge --cgroup-parent --handler --pods --duration
 * --replace-every --window --warmup --report-dir}. Exit status 0 only with no error and no leak.
 */
public final class KubeletLoad {
    private static final int WORKERS = 4;
    private final KubeletLoadOptions o;
    private final StringBuilder log = new StringBuilder();

    private KubeletLoad(KubeletLoadOptions options) {
        this.o = options;
    }

    public static void main(String[] args) throws Exception {
        KubeletLoadOptions options;
        try {
            options = KubeletLoadOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("kubelet-load: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(new KubeletLoad(options).run());
    }

    private int run() throws Exception {
        Files.createDirectories(o.reportDir());
        long t0 = System.nanoTime();
        try (CriClient cri = CriClient.connect(o.socket())) {
            awaitDaemon(cri);
            for (String name : List.of("busybox", "pause")) {
                cri.admin().importImages(ImportImagesRequest.newBuilder().setPath(o.work().resolve("images").resolve(name).toString()).build());
            }
            LeakSnapshot.Places places = new LeakSnapshot.Places(o.work(), o.work().resolve("root"), o.work().resolve("state"),
                    o.cgroupParent(), o.bridge(), o.work().resolve("ipam"), o.daemonPid());
            DaemonSampler sampler = new DaemonSampler(o.daemonPid(), t0);
            DaemonSampler.Series series = new DaemonSampler.Series();
            Map<String, DaemonSampler.Sample> marks = new LinkedHashMap<>();
            mark(marks, series, "start (idle, images imported)", sampler.sample(true, true));
            LeakSnapshot before = LeakSnapshot.take(places);

            LatencyWindows windows = new LatencyWindows(System.nanoTime());
            List<LatencyWindows.Window> closed = new ArrayList<>();
            Files.createDirectories(o.work().resolve("logs"));
            FakeKubelet kubelet = new FakeKubelet(cri, windows, o.work().resolve("logs"), o.handler(), o.cgroupParent());
            ScheduledExecutorService loops = Executors.newScheduledThreadPool(4);
            ScheduledExecutorService probes = Executors.newScheduledThreadPool(4);
            long loadStart = System.nanoTime();
            long end = loadStart + o.duration().toNanos();
            say(String.format(Locale.ROOT, "load: %d pods on handler %s, relist every 1 s, stats and probes every 10 s, one pod replaced"
                    + " every %.1f s, for %d s; windows of %d s", o.pods(), o.handler(), o.replaceEvery().toMillis() / 1e3,
                    o.duration().toSeconds(), o.window().toSeconds()));
            loops.scheduleWithFixedDelay(guard(kubelet::relist), 0, 1, TimeUnit.SECONDS);
            loops.scheduleAtFixedRate(guard(kubelet::stats), 0, 10, TimeUnit.SECONDS);
            AtomicInteger ticks = new AtomicInteger();
            long windowTicks = Math.max(1, o.window().toSeconds() / 10);
            loops.scheduleAtFixedRate(guard(() -> {
                int tick = ticks.incrementAndGet();
                DaemonSampler.Sample s = sampler.sample(tick % 6 == 0, false);
                series.add(s);
                if (tick % windowTicks == 0) {
                    LatencyWindows.Window w = windows.roll(System.nanoTime());
                    closed.add(w);
                    say(LatencyWindows.format(w) + String.format(Locale.ROOT, "  daemon: %s%n  pods %d, relists %d, probes %d, replaced %d,"
                            + " errors so far %d", s.line().strip(), kubelet.running(), kubelet.relists.get(), kubelet.probes.get(),
                            kubelet.replacements.get(), windows.errors().values().stream().mapToInt(Integer::intValue).sum()));
                }
            }), 10, 10, TimeUnit.SECONDS);
            loops.schedule(guard(() -> mark(marks, series, "after warm-up (" + o.warmup().toSeconds() + " s)", sampler.sample(true, true))),
                    o.warmup().toMillis(), TimeUnit.MILLISECONDS);

            // Pod workers: the kubelet starts and replaces pods concurrently, one goroutine per pod; here at most WORKERS at once.
            ExecutorService workers = Executors.newFixedThreadPool(WORKERS);
            List<Future<?>> starting = new ArrayList<>();
            for (int i = 0; i < o.pods(); i++) {
                starting.add(workers.submit(guard(() -> {
                    if (System.nanoTime() < end) {
                        kubelet.start(probes);
                    }
                })));
            }
            for (Future<?> f : starting) {
                f.get();
            }
            long rampedUp = System.nanoTime();
            say(String.format(Locale.ROOT, "%d pods running after %.1f s", kubelet.running(), (rampedUp - loadStart) / 1e9));
            long every = o.replaceEvery().toMillis();
            AtomicInteger inFlight = new AtomicInteger();
            AtomicInteger skipped = new AtomicInteger();
            loops.scheduleAtFixedRate(guard(() -> {
                if (inFlight.get() >= WORKERS) {
                    skipped.incrementAndGet(); // every worker still busy replacing: the machine cannot keep this rate
                    return;
                }
                inFlight.incrementAndGet();
                workers.execute(guard(() -> {
                    try {
                        kubelet.replaceOne(probes);
                    } finally {
                        inFlight.decrementAndGet();
                    }
                }));
            }), every, every, TimeUnit.MILLISECONDS);

            TimeUnit.NANOSECONDS.sleep(Math.max(0, end - System.nanoTime()));
            loops.shutdown();
            boolean quiet = loops.awaitTermination(60, TimeUnit.SECONDS);
            workers.shutdown();
            quiet &= workers.awaitTermination(120, TimeUnit.SECONDS);
            probes.shutdown();
            quiet &= probes.awaitTermination(60, TimeUnit.SECONDS);
            if (!quiet) {
                say("warning: load threads still busy minutes after the end");
            }
            long expected = Math.max(0, (end - rampedUp) / o.replaceEvery().toNanos());
            say(String.format(Locale.ROOT, "pods replaced: %d of the %d due (one every %.1f s after the ramp-up); %d turns skipped with"
                    + " %d replacements already in flight", kubelet.replacements.get(), expected, every / 1e3, skipped.get(), WORKERS));
            LatencyWindows.Window last = windows.roll(System.nanoTime());
            if (!last.rows().isEmpty()) {
                closed.add(last);
                say(LatencyWindows.format(last));
            }
            mark(marks, series, "end of load (" + kubelet.running() + " pods running)", sampler.sample(true, true));
            int leftOver = kubelet.removeAll();
            TimeUnit.SECONDS.sleep(5);
            mark(marks, series, "after teardown (+5 s)", sampler.sample(true, true));
            LeakSnapshot after = LeakSnapshot.take(places);
            int leaks = after.leakCount(before);
            String leakText = "leak snapshot, 5 s after removing every pod (" + leftOver + " listed after the kubelet's own were removed),"
                    + " against one before the first pod:\n" + LeakSnapshot.format(before, after);
            if (leaks > 0) {
                TimeUnit.SECONDS.sleep(25);
                LeakSnapshot later = LeakSnapshot.take(places);
                leakText += "the same 30 s after:\n" + LeakSnapshot.format(before, later);
                leaks = later.leakCount(before);
            }
            return report(windows, closed, series, marks, kubelet, leakText, leaks);
        }
    }

    private int report(LatencyWindows windows, List<LatencyWindows.Window> closed, DaemonSampler.Series series,
            Map<String, DaemonSampler.Sample> marks, FakeKubelet kubelet, String leakText, int leaks) throws IOException {
        say("==== summary ====");
        say(String.format(Locale.ROOT, "relists %d, ExecSync probes %d, pods replaced %d", kubelet.relists.get(), kubelet.probes.get(),
                kubelet.replacements.get()));
        say("all calls, latency in ms:\n" + LatencyWindows.table(windows.totals()).stripTrailing());
        Map<String, Integer> errors = windows.errors();
        int errorCount = errors.values().stream().mapToInt(Integer::intValue).sum();
        say("errors: " + errorCount + (errors.isEmpty() ? "" : " " + errors));
        Map<String, Integer> races = windows.races();
        say("failures racing a replacement (the pod or container was being removed; not errors): "
                + races.values().stream().mapToInt(Integer::intValue).sum() + (races.isEmpty() ? "" : " " + races));
        if (closed.size() > 1) {
            say("first window:\n" + LatencyWindows.format(closed.get(0)).stripTrailing());
            say("last window:\n" + LatencyWindows.format(closed.get(closed.size() - 1)).stripTrailing());
        }
        StringBuilder m = new StringBuilder("daemon:");
        marks.forEach((name, s) -> m.append(String.format(Locale.ROOT, "%n  %-40s %s", name, s.line())));
        say(m.toString());
        say(flatness(series.all(), o.warmup().toSeconds()));
        say(leakText.stripTrailing());
        say(String.format(Locale.ROOT, "result: %d errors, %d leaks", errorCount, leaks));

        List<String> latency = new ArrayList<>(List.of("from_s,to_s,rpc,calls,errors,p50_ms,p90_ms,p99_ms,max_ms"));
        closed.forEach(w -> latency.addAll(LatencyWindows.csv(w)));
        Files.write(o.reportDir().resolve("latency.csv"), latency);
        List<String> daemon = new ArrayList<>(List.of("seconds,rss_kib,threads,fds,heap_used_kib,heap_live_kib"));
        series.all().forEach(s -> daemon.add(s.csv()));
        Files.write(o.reportDir().resolve("daemon.csv"), daemon);
        Files.writeString(o.reportDir().resolve("summary.txt"), log);
        return errorCount == 0 && leaks == 0 ? 0 : 1;
    }

    /** Min and max of each figure over the samples between the warm-up and the end of the load (teardown excluded). */
    private static String flatness(List<DaemonSampler.Sample> all, long warmupSeconds) {
        double startOfSeries = all.isEmpty() ? 0 : all.get(0).seconds();
        List<DaemonSampler.Sample> load = all.subList(0, Math.max(0, all.size() - 1)).stream()
                .filter(s -> s.seconds() >= startOfSeries + warmupSeconds).toList();
        if (load.isEmpty()) {
            return "no samples after the warm-up";
        }
        java.util.LongSummaryStatistics rss = load.stream().mapToLong(DaemonSampler.Sample::rssKib).summaryStatistics();
        java.util.IntSummaryStatistics threads = load.stream().mapToInt(DaemonSampler.Sample::threads).summaryStatistics();
        java.util.IntSummaryStatistics fds = load.stream().mapToInt(DaemonSampler.Sample::fds).summaryStatistics();
        java.util.LongSummaryStatistics heap = load.stream().mapToLong(DaemonSampler.Sample::heapUsedKib).filter(h -> h >= 0)
                .summaryStatistics();
        int fifth = Math.max(1, load.size() / 5);
        List<DaemonSampler.Sample> first = load.subList(0, fifth);
        List<DaemonSampler.Sample> last = load.subList(load.size() - fifth, load.size());
        return String.format(Locale.ROOT, "from the warm-up to the end of the load (%d samples, %.0f-%.0f s): RSS %d..%d KiB, threads %d..%d,"
                + " fds %d..%d, heap used %d..%d KiB%n  averages, first fifth -> last fifth: RSS %.0f -> %.0f KiB, threads %.1f -> %.1f,"
                + " fds %.1f -> %.1f", load.size(), load.get(0).seconds(), load.get(load.size() - 1).seconds(),
                rss.getMin(), rss.getMax(), threads.getMin(), threads.getMax(), fds.getMin(), fds.getMax(), heap.getMin(), heap.getMax(),
                avg(first, DaemonSampler.Sample::rssKib), avg(last, DaemonSampler.Sample::rssKib), avg(first, DaemonSampler.Sample::threads),
                avg(last, DaemonSampler.Sample::threads), avg(first, DaemonSampler.Sample::fds), avg(last, DaemonSampler.Sample::fds));
    }

    private static double avg(List<DaemonSampler.Sample> samples, java.util.function.ToDoubleFunction<DaemonSampler.Sample> figure) {
        return samples.stream().mapToDouble(figure).average().orElse(-1);
    }

    private void mark(Map<String, DaemonSampler.Sample> marks, DaemonSampler.Series series, String name, DaemonSampler.Sample s) {
        marks.put(name, s);
        series.add(s);
        say("daemon " + name + ": " + s.line().strip());
    }

    private synchronized void say(String text) {
        System.out.println(text);
        System.out.flush();
        log.append(text).append('\n');
    }

    private void awaitDaemon(CriClient cri) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                cri.runtime().version(VersionRequest.getDefaultInstance());
                return;
            } catch (StatusRuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the daemon did not answer Version within 60 s: " + e.getStatus());
                }
                Thread.sleep(200);
            }
        }
    }

    /** A periodic task that never dies of an exception (a ScheduledExecutorService stops repeating one that throws). */
    private Runnable guard(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                say("driver error: " + e);
                e.printStackTrace();
            }
        };
    }

    static Duration parseDuration(String option, String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)?").matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException(option + ": not a duration like 30m, 90s, 1h or 500ms: '" + text + "'");
        }
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        double millis = switch (unit) {
            case "ms" -> v;
            case "m" -> v * 60_000;
            case "h" -> v * 3_600_000;
            default -> v * 1000;
        };
        if (millis <= 0) {
            throw new IllegalArgumentException(option + ": must be more than 0, got '" + text + "'");
        }
        return Duration.ofMillis((long) millis);
    }
}
