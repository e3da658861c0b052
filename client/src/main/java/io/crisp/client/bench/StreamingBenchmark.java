package io.crisp.client.bench;

import io.crisp.admin.v1.ImportImagesRequest;
import io.crisp.client.stream.ForwardConnection;
import io.crisp.client.stream.SpdyStreamClient;
import io.crisp.client.stream.StdioConnection;
import io.crisp.client.stream.WebSocketStreamClient;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ContainerConfig;
import io.crisp.cri.v1.ContainerMetadata;
import io.crisp.cri.v1.CreateContainerRequest;
import io.crisp.cri.v1.ExecRequest;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxMetadata;
import io.crisp.cri.v1.PodSandboxStatusRequest;
import io.crisp.cri.v1.PortForwardRequest;
import io.crisp.cri.v1.RemovePodSandboxRequest;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.crisp.cri.v1.StartContainerRequest;
import io.crisp.spi.model.StdioWiring;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Measures the streaming server against a real daemon with the runc handler, in one pod on a CNI
 * bridge: the round trip of an interactive exec of {@code true} (Exec call, connect, exit code on
 * the error stream) over SPDY and WebSocket, next to ExecSync and a bare {@code runc exec} from a
 * shell (the floor: what any exec costs on this machine); and port-forward throughput, reading a
 * file of M MB from the pod's web server through SPDY and WebSocket, next to the same download
 * straight from the pod's IP.
 *
 * <p>Run through {@code packaging/bench/streaming.sh}; arguments: launcher, work directory (with
 * the busybox and pause images under {@code images/}), execs per figure, megabytes.
 */
public final class StreamingBenchmark {
    private static final String BUSYBOX = "localhost/crisp/busybox:latest";
    private static final String PAUSE = "localhost/crisp/pause:latest";
    private static final int PORT = 8080;

    private StreamingBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path launcher = Path.of(args[0]);
        Path work = Path.of(args[1]);
        int execs = Integer.parseInt(args[2]);
        int megabytes = Integer.parseInt(args[3]);
        Path socket = work.resolve("crisp.sock");
        Path config = work.resolve("crisp.toml");
        Path runcRoot = work.resolve("runc");
        Files.writeString(config, "[image]\npause_image = \"" + PAUSE + "\"\n[network]\ncni_conf_dir = \"" + work.resolve("net.d")
                + "\"\n[runtimes.runc]\nplugin = \"runc\"\nruntime_root = \"" + runcRoot + "\"\n");
        Process daemon = FoundationBenchmark.spawn(launcher, work, socket, config);
        try (CriClient cri = CriClient.connect(socket, Duration.ofSeconds(120))) {
            FoundationBenchmark.awaitVersion(daemon, socket);
            for (String name : List.of("busybox", "pause")) {
                cri.admin().importImages(ImportImagesRequest.newBuilder().setPath(work.resolve("images").resolve(name).toString()).build());
            }
            PodSandboxConfig pod = PodSandboxConfig.newBuilder()
                    .setMetadata(PodSandboxMetadata.newBuilder().setName("stream").setNamespace("bench").setUid("stream-" + System.nanoTime()))
                    .setHostname("stream").setLogDirectory(work.resolve("logs").toString()).build();
            String podId = cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).build()).getPodSandboxId();
            try {
                String id = cri.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(podId).setSandboxConfig(pod)
                        .setConfig(ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName("web"))
                                .setImage(ImageSpec.newBuilder().setImage(BUSYBOX)).addAllCommand(List.of("sh", "-c",
                                        "mkdir -p /www && head -c " + megabytes + "000000 /dev/zero > /www/big && httpd -p " + PORT
                                                + " -h /www && exec sleep 1000000"))
                                .setLogPath("web.log")).build()).getContainerId();
                cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
                awaitListening(cri, id);
                String podIp = cri.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId).build())
                        .getStatus().getNetwork().getIp();
                execs(cri, runcRoot, id, execs);
                throughput(cri, podId, podIp, megabytes);
            } finally {
                cri.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
            }
        } finally {
            FoundationBenchmark.stop(daemon);
        }
    }

    private static void awaitListening(CriClient cri, String id) throws InterruptedException {
        String hexPort = String.format(Locale.ROOT, ":%04X", PORT);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String tables = cri.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id).setTimeout(10)
                    .addAllCmd(List.of("sh", "-c", "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null")).build()).getStdout().toStringUtf8();
            if (tables.contains(hexPort)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the pod's web server did not listen on " + PORT + " within 60 s");
    }

    private static void execs(CriClient cri, Path runcRoot, String id, int n) throws Exception {
        List<Long> floor = new ArrayList<>();
        List<Long> sync = new ArrayList<>();
        List<Long> spdy = new ArrayList<>();
        List<Long> ws = new ArrayList<>();
        StdioWiring outOnly = new StdioWiring(false, true, false, false);
        for (int i = -3; i < n; i++) { // three warm-up rounds
            long t = System.nanoTime();
            Process p = new ProcessBuilder("runc", "--root", runcRoot.toString(), "exec", id, "true").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("runc exec true exited with " + p.exitValue());
            }
            long floorNanos = System.nanoTime() - t;
            t = System.nanoTime();
            cri.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id).setTimeout(10).addCmd("true").build());
            long syncNanos = System.nanoTime() - t;
            long spdyNanos;
            t = System.nanoTime();
            try (StdioConnection c = SpdyStreamClient.exec(URI.create(execUrl(cri, id)), outOnly, List.of("v4.channel.k8s.io"))) {
                expectSuccess(c);
                spdyNanos = System.nanoTime() - t;
            }
            long wsNanos;
            t = System.nanoTime();
            try (StdioConnection c = WebSocketStreamClient.openStdio(URI.create(execUrl(cri, id)), outOnly, List.of("v4.channel.k8s.io"))) {
                expectSuccess(c);
                wsNanos = System.nanoTime() - t;
            }
            if (i >= 0) {
                floor.add(floorNanos);
                sync.add(syncNanos);
                spdy.add(spdyNanos);
                ws.add(wsNanos);
            }
        }
        System.out.printf(Locale.ROOT, "exec of `true`, median of %d (2 cores, runc 1.1 under conmon):%n", n);
        System.out.printf(Locale.ROOT, "  runc exec from a shell (floor) %7.1f ms%n", FoundationBenchmark.median(floor) / 1e6);
        System.out.printf(Locale.ROOT, "  ExecSync                       %7.1f ms%n", FoundationBenchmark.median(sync) / 1e6);
        System.out.printf(Locale.ROOT, "  Exec + SPDY/3.1 v4             %7.1f ms  (Exec call to exit code on the error stream)%n",
                FoundationBenchmark.median(spdy) / 1e6);
        System.out.printf(Locale.ROOT, "  Exec + WebSocket v4            %7.1f ms%n", FoundationBenchmark.median(ws) / 1e6);
    }

    private static String execUrl(CriClient cri, String id) {
        return cri.runtime().exec(ExecRequest.newBuilder().setContainerId(id).addCmd("true").setStdout(true).build()).getUrl();
    }

    private static void expectSuccess(StdioConnection c) throws IOException {
        c.stdout().readAllBytes();
        String status = c.awaitStatus(Duration.ofSeconds(30)).orElse("");
        if (!status.contains("\"Success\"")) {
            throw new IllegalStateException("exec of true did not succeed: " + status);
        }
    }

    private static void throughput(CriClient cri, String podId, String podIp, int megabytes) throws Exception {
        long bytes = megabytes * 1_000_000L;
        System.out.printf(Locale.ROOT, "port-forward throughput, GET of %d MB from the pod's httpd (best of 3):%n", megabytes);
        double direct = 0;
        double spdy = 0;
        double ws = 0;
        for (int round = 0; round < 3; round++) {
            long t = System.nanoTime();
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(podIp, PORT), 5000);
                direct = Math.max(direct, mbPerSecond(download(s.getOutputStream(), s.getInputStream(), bytes), t));
            }
            t = System.nanoTime();
            try (SpdyStreamClient client = SpdyStreamClient.connect(URI.create(forwardUrl(cri, podId)), List.of("portforward.k8s.io"));
                 ForwardConnection f = client.openForward(PORT)) {
                spdy = Math.max(spdy, mbPerSecond(download(f.output(), f.input(), bytes), t));
            }
            t = System.nanoTime();
            try (ForwardConnection f = WebSocketStreamClient.openForward(URI.create(forwardUrl(cri, podId)), PORT,
                    WebSocketStreamClient.FORWARD_PROTOCOLS)) {
                ws = Math.max(ws, mbPerSecond(download(f.output(), f.input(), bytes), t));
            }
        }
        System.out.printf(Locale.ROOT, "  from the host to the pod IP     %7.1f MB/s%n", direct);
        System.out.printf(Locale.ROOT, "  port-forward over SPDY/3.1      %7.1f MB/s  (PortForward call included)%n", spdy);
        System.out.printf(Locale.ROOT, "  port-forward over WebSocket     %7.1f MB/s%n", ws);
    }

    private static String forwardUrl(CriClient cri, String podId) {
        return cri.runtime().portForward(PortForwardRequest.newBuilder().setPodSandboxId(podId).addPort(PORT).build()).getUrl();
    }

    /** Sends an HTTP/1.0 GET of /big and reads the response to its end; returns the body's size. */
    private static long download(OutputStream out, InputStream in, long expected) throws IOException {
        out.write("GET /big HTTP/1.0\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        byte[] buffer = new byte[256 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            total += n;
        }
        if (total < expected) {
            throw new IllegalStateException("the download ended after " + total + " of " + expected + " bytes");
        }
        return total;
    }

    private static double mbPerSecond(long bytes, long since) {
        return bytes / 1e6 / ((System.nanoTime() - since) / 1e9);
    }
}
