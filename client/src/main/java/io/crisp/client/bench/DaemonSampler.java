package io.crisp.client.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a daemon process costs, read from {@code /proc/<pid>} (RSS, threads, open descriptors) and,
 * for the Java heap, from {@code jcmd <pid> GC.heap_info} (the used part of every generation, summed;
 * with {@code live} a full collection first, so the figure is what is still reachable).
 */
final class DaemonSampler {
    /** One sample; heap figures in KiB, -1 when not taken. */
    record Sample(double seconds, long rssKib, int threads, int fds, long heapUsedKib, long heapLiveKib) {
        String line() {
            return String.format(Locale.ROOT, "%7.0f s  RSS %7d KiB  threads %4d  fds %5d%s%s", seconds, rssKib, threads, fds,
                    heapUsedKib < 0 ? "" : String.format(Locale.ROOT, "  heap used %7d KiB", heapUsedKib),
                    heapLiveKib < 0 ? "" : String.format(Locale.ROOT, "  heap live (after a full GC) %7d KiB", heapLiveKib));
        }

        String csv() {
            return String.format(Locale.ROOT, "%.0f,%d,%d,%d,%d,%d", seconds, rssKib, threads, fds, heapUsedKib, heapLiveKib);
        }
    }

    private static final Pattern HEAP_USED = Pattern.compile("total \\d+K, used (\\d+)K");

    private final long pid;
    private final long startNanos;

    DaemonSampler(long pid, long startNanos) {
        this.pid = pid;
        this.startNanos = startNanos;
    }

    Sample sample(boolean heap, boolean live) {
        long rss = -1;
        int threads = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
                } else if (line.startsWith("Threads:")) {
                    threads = Integer.parseInt(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            // the daemon is gone: -1s say so
        }
        int fds;
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            fds = (int) s.count();
        } catch (IOException e) {
            fds = -1;
        }
        long used = heap ? heapUsed(false) : -1;
        long liveHeap = live ? heapUsed(true) : -1;
        return new Sample((System.nanoTime() - startNanos) / 1e9, rss, threads, fds, used, liveHeap);
    }

    /** Sum of "used" over the heap's generations, in KiB; -1 when jcmd fails. */
    private long heapUsed(boolean afterFullGc) {
        if (afterFullGc && jcmd("GC.run") == null) {
            return -1;
        }
        String out = jcmd("GC.heap_info");
        if (out == null) {
            return -1;
        }
        long sum = 0;
        boolean found = false;
        for (String line : out.split("\n")) {
            Matcher m = HEAP_USED.matcher(line);
            if (m.find()) {
                sum += Long.parseLong(m.group(1));
                found = true;
            }
        }
        return found ? sum : -1;
    }

    private String jcmd(String command) {
        try {
            Process p = new ProcessBuilder("jcmd", Long.toString(pid), command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                System.err.println("jcmd " + pid + " " + command + " failed: " + out.strip());
                return null;
            }
            return out;
        } catch (IOException e) {
            System.err.println("jcmd " + pid + " " + command + ": " + e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Samples kept for the report: the whole series goes to CSV, the console shows some. */
    static final class Series {
        private final List<Sample> samples = new ArrayList<>();

        synchronized void add(Sample s) {
            samples.add(s);
        }

        synchronized List<Sample> all() {
            return new ArrayList<>(samples);
        }
    }
}
