package io.crisp.client.bench;

import io.crisp.client.cli.ClientEndpoint;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.RuntimeServiceGrpc;
import io.crisp.cri.v1.VersionRequest;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Measures the foundation's figures against a real daemon it starts itself: time from spawning
 * {@code crisp serve} to the first answered Version call, the idle daemon's RSS, and the round trip
 * of Version and of an empty ListPodSandbox over the Unix socket (p50, p99, p99.9).
 *
 * <p>Run through {@code packaging/bench/foundation.sh}; arguments: launcher path, work directory,
 * number of measured calls per RPC.
 */
public final class FoundationBenchmark {
    private static long spawnedAtMillis;

    private FoundationBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path launcher = Path.of(args[0]);
        Path work = Path.of(args[1]);
        int calls = args.length > 2 ? Integer.parseInt(args[2]) : 20_000;
        int starts = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        Files.createDirectories(work);
        Path socket = work.resolve("crisp.sock");
        Files.writeString(work.resolve("empty.toml"), "# defaults only\n");

        List<Long> startMillis = new ArrayList<>();
        for (int i = 0; i < starts; i++) {
            Process daemon = spawn(launcher, work, socket);
            try {
                startMillis.add(awaitVersion(daemon, socket));
            } finally {
                stop(daemon);
            }
        }
        System.out.printf(Locale.ROOT, "ready (spawn to first Version answered): min %d ms, median %d ms, max %d ms over %d starts%n",
                min(startMillis), median(startMillis), max(startMillis), starts);

        Process daemon = spawn(launcher, work, socket);
        awaitVersion(daemon, socket);
        try (CriClient cri = CriClient.connect(socket, Duration.ofSeconds(5))) {
            Thread.sleep(3000);
            System.out.printf(Locale.ROOT, "idle RSS after start: %d KiB%n", rssKib(daemon.pid()));
            RuntimeServiceGrpc.RuntimeServiceBlockingStub stub = RuntimeServiceGrpc.newBlockingStub(channelOf(cri));
            VersionRequest version = VersionRequest.getDefaultInstance();
            ListPodSandboxRequest list = ListPodSandboxRequest.getDefaultInstance();
            // Warm both JVMs on both calls first, so neither measurement pays for the other's JIT.
            for (int i = 0; i < Math.max(5000, calls / 2); i++) {
                stub.version(version);
                stub.listPodSandbox(list);
            }
            report("Version", calls, r -> stub.version(version));
            report("ListPodSandbox (empty)", calls, r -> stub.listPodSandbox(list));
            Thread.sleep(3000);
            System.out.printf(Locale.ROOT, "RSS after %d calls: %d KiB%n", 2 * calls, rssKib(daemon.pid()));
        } finally {
            stop(daemon);
        }
    }

    private static io.grpc.Channel channelOf(CriClient cri) {
        return cri.runtime().getChannel();
    }

    static void report(String name, int calls, Consumer<Integer> call) {
        long[] nanos = new long[calls];
        for (int i = 0; i < calls; i++) {
            long t = System.nanoTime();
            call.accept(i);
            nanos[i] = System.nanoTime() - t;
        }
        Arrays.sort(nanos);
        System.out.printf(Locale.ROOT, "%-24s p50 %4d us  p99 %4d us  p99.9 %4d us  (%d calls, one client, sequential)%n", name,
                nanos[calls / 2] / 1000, nanos[(int) (calls * 0.99)] / 1000, nanos[(int) (calls * 0.999)] / 1000, calls);
    }

    private static Process spawn(Path launcher, Path work, Path socket) throws IOException {
        return spawn(launcher, work, socket, work.resolve("empty.toml"));
    }

    static Process spawn(Path launcher, Path work, Path socket, Path config) throws IOException {
        List<String> command = List.of(launcher.toString(), "serve", "--config", config.toString(),
                "--listen", "unix://" + socket, "--root", work.resolve("root").toString(), "--state", work.resolve("state").toString(),
                "--log-level", "warn");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve("daemon.log").toFile());
        spawnedAtMillis = System.currentTimeMillis();
        return builder.start();
    }

    /**
     * Milliseconds from spawn to the first answered Version call. Polls connect() on the socket every
     * millisecond, then calls Version on a fresh channel, so gRPC's reconnect back-off (which would
     * follow a refused early attempt) never inflates the figure.
     */
    static long awaitVersion(Process daemon, Path socket) throws InterruptedException {
        // Not ProcessHandle.Info.startInstant(): Linux reports boot time in whole seconds, so that
        // figure can be off by up to a second.
        long spawned = spawnedAtMillis;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!daemon.isAlive()) {
                throw new IllegalStateException("crisp serve exited with " + daemon.exitValue());
            }
            if (ClientEndpoint.answers(socket)) {
                long listening = System.currentTimeMillis() - spawned;
                try (CriClient cri = CriClient.connect(socket, Duration.ofSeconds(5))) {
                    cri.runtime().version(VersionRequest.getDefaultInstance());
                    long answered = System.currentTimeMillis() - spawned;
                    if (System.getenv("CRISP_BENCH_DETAIL") != null) {
                        System.out.printf(Locale.ROOT, "  listening after %d ms, Version answered after %d ms%n", listening, answered);
                    }
                    return answered;
                } catch (StatusRuntimeException e) {
                    // listening but not serving yet
                }
            }
            Thread.sleep(1);
        }
        throw new IllegalStateException("crisp serve did not answer within 30 s");
    }

    static long rssKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    static void stop(Process daemon) throws InterruptedException {
        daemon.destroy(); // SIGTERM: clean stop, socket removed
        if (!daemon.waitFor(10, TimeUnit.SECONDS)) {
            daemon.destroyForcibly().waitFor();
        }
    }

    private static long min(List<Long> v) {
        return v.stream().mapToLong(Long::longValue).min().orElse(-1);
    }

    private static long max(List<Long> v) {
        return v.stream().mapToLong(Long::longValue).max().orElse(-1);
    }

    static long median(List<Long> v) {
        List<Long> sorted = new ArrayList<>(v);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }
}
