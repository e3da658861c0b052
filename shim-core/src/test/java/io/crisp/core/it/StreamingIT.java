package io.crisp.core.it;

import static io.crisp.cri.v1.ContainerState.CONTAINER_RUNNING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.it.StreamClients.Wire;
import io.crisp.client.stream.ForwardConnection;
import io.crisp.client.stream.StdioConnection;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.AttachRequest;
import io.crisp.cri.v1.ContainerConfig;
import io.crisp.cri.v1.ExecRequest;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxStatusRequest;
import io.crisp.cri.v1.PortForwardRequest;
import io.crisp.spi.model.StdioWiring;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Exec, attach and port-forward end to end: the URL comes from crisp's real socket, a client that
 * speaks client-go's wire protocols (SPDY/3.1 and WebSocket, both tested) connects to crisp's
 * streaming server, and the process runs in a real runc container under conmon, in a pod on a real
 * CNI bridge network of the test's own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
final class StreamingIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private Path dir;
    private TestNetwork network;
    private DaemonProcess daemon;
    private CriClient client;
    private String podId;
    private String podIp;
    /** Runs two web servers: one on the pod's loopback only, one on all its addresses. */
    private String web;
    /** Created with stdin and a tty, running sh. */
    private String ttyShell;
    /** Created with stdin and no tty, running cat. */
    private String cat;

    @BeforeAll
    void startPod(@TempDir Path tmp) {
        dir = tmp;
        network = TestNetwork.create(dir);
        daemon = Pods.daemon(dir.resolve("daemon"), network);
        client = daemon.client();
        PodSandboxConfig pod = Pods.pod("streams", dir.resolve("logs")).build();
        podId = Pods.run(client, pod);
        web = Pods.createAndStart(client, podId, pod, Pods.container("web", "sh", "-c",
                "mkdir -p /lo /all && echo only-on-loopback > /lo/index.html && echo on-the-pod-ip > /all/index.html"
                        + " && httpd -p 127.0.0.1:8080 -h /lo && httpd -p 8081 -h /all && exec sleep 100000").build());
        ttyShell = Pods.createAndStart(client, podId, pod, Pods.container("shell", "sh").setStdin(true).setTty(true).build());
        cat = Pods.createAndStart(client, podId, pod, Pods.container("cat", "cat").setStdin(true).build());
        for (String id : List.of(web, ttyShell, cat)) {
            Pods.awaitState(client, id, CONTAINER_RUNNING, 20);
        }
        podIp = client.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId).build())
                .getStatus().getNetwork().getIp();
        Pods.await(() -> execSync(web, "sh", "-c", "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null").contains(":1F91"), 20,
                "httpd to listen on 8081");
    }

    @AfterAll
    void stopPod() {
        try {
            if (client != null) {
                Pods.removeAll(client);
            }
        } finally {
            if (daemon != null) {
                daemon.close();
            }
            if (network != null) {
                network.close();
            }
        }
    }

    private String execSync(String id, String... cmd) {
        return client.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id).setTimeout(10).addAllCmd(List.of(cmd)).build())
                .getStdout().toStringUtf8();
    }

    private String execUrl(String id, boolean stdin, boolean stdout, boolean stderr, boolean tty, String... cmd) {
        return client.runtime().exec(ExecRequest.newBuilder().setContainerId(id).addAllCmd(List.of(cmd)).setStdin(stdin)
                .setStdout(stdout).setStderr(stderr).setTty(tty).build()).getUrl();
    }

    private static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    /**
     * Collects a stream's text on a thread of its own, so a test can wait for text with a timeout
     * and nothing read while waiting for one thing is lost for the next.
     */
    private static final class Collector {
        private final StringBuffer text = new StringBuffer();

        Collector(InputStream in) {
            Thread t = new Thread(() -> {
                byte[] buffer = new byte[4096];
                try {
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        text.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    // the connection closed: what arrived is what there is
                }
            }, "stream-collector");
            t.setDaemon(true);
            t.start();
        }

        /** Waits for {@code expected} to appear after position {@code from}; returns whether it did. */
        boolean await(String expected, int from, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (text.indexOf(expected, from) < 0) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }

        void expect(String expected) {
            assertTrue(await(expected, 0, WAIT), "no '" + expected + "' within " + WAIT.toSeconds() + " s in: " + text);
        }

        int length() {
            return text.length();
        }

        @Override
        public String toString() {
            return text.toString();
        }
    }

    /**
     * Asks the terminal its size until it reports {@code rows cols}: a resize and the input that
     * follows travel on different streams, so the first {@code stty size} may run before the
     * resize arrived (as with kubectl).
     */
    private static void expectTerminalSize(StdioConnection c, Collector out, int rows, int cols) throws IOException {
        String expected = rows + " " + cols;
        for (int attempt = 0; attempt < 20; attempt++) {
            int from = out.length();
            c.stdin("stty size\n".getBytes(StandardCharsets.UTF_8));
            if (out.await(expected, from, Duration.ofSeconds(1))) {
                return;
            }
        }
        throw new AssertionError("the terminal never reported '" + expected + "': " + out);
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void execEchoesAndReportsSuccess(Wire wire) throws IOException {
        String url = execUrl(web, false, true, true, false, "echo", "hello from exec");
        assertTrue(url.startsWith("http://127.0.0.1:") && url.contains("/exec/"), url);
        try (StdioConnection c = StreamClients.stdio(wire, url, new StdioWiring(false, true, true, false))) {
            assertEquals("hello from exec\n", readAll(c.stdout()));
            assertEquals("", readAll(c.stderr()));
            Optional<String> status = c.awaitStatus(WAIT);
            assertTrue(status.isPresent() && status.get().contains("\"status\":\"Success\""), "v4 success status: " + status);
        }
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void execExitCodeArrivesAsTheExitCodeCause(Wire wire) throws IOException {
        String url = execUrl(web, false, true, true, false, "sh", "-c", "echo to-stderr >&2; exit 3");
        try (StdioConnection c = StreamClients.stdio(wire, url, new StdioWiring(false, true, true, false))) {
            assertEquals("to-stderr\n", readAll(c.stderr()));
            String status = c.awaitStatus(WAIT).orElseThrow();
            assertTrue(status.contains("\"status\":\"Failure\"") && status.contains("\"reason\":\"NonZeroExitCode\""), status);
            assertTrue(status.contains("{\"reason\":\"ExitCode\",\"message\":\"3\"}"), status);
        }
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void execPipesStdinUntilTheClientClosesIt(Wire wire) throws IOException {
        String url = execUrl(web, true, true, false, false, "cat");
        try (StdioConnection c = StreamClients.stdio(wire, url, new StdioWiring(true, true, false, false))) {
            c.stdin("line one\n".getBytes(StandardCharsets.UTF_8));
            c.stdin("line two\n".getBytes(StandardCharsets.UTF_8));
            c.closeStdin();
            assertEquals("line one\nline two\n", readAll(c.stdout()));
            assertTrue(c.awaitStatus(WAIT).orElseThrow().contains("Success"));
        }
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void execWithATerminalFollowsResizes(Wire wire) throws IOException {
        String url = execUrl(web, true, true, false, true, "sh");
        try (StdioConnection c = StreamClients.stdio(wire, url, new StdioWiring(true, true, false, true))) {
            Collector out = new Collector(c.stdout());
            c.resize(100, 40);
            c.stdin("tty\n".getBytes(StandardCharsets.UTF_8));
            out.expect("/dev/pts/");
            expectTerminalSize(c, out, 40, 100);
            c.resize(132, 50);
            expectTerminalSize(c, out, 50, 132);
            c.stdin("exit 7\n".getBytes(StandardCharsets.UTF_8));
            String status = c.awaitStatus(WAIT).orElseThrow();
            assertTrue(status.contains("{\"reason\":\"ExitCode\",\"message\":\"7\"}"), status);
        }
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void attachToATerminalContainerAndDetach(Wire wire) throws IOException {
        String url = client.runtime().attach(AttachRequest.newBuilder().setContainerId(ttyShell).setStdin(true).setStdout(true)
                .setTty(true).build()).getUrl();
        assertTrue(url.contains("/attach/"), url);
        try (StdioConnection c = StreamClients.stdio(wire, url, new StdioWiring(true, true, false, true))) {
            Collector out = new Collector(c.stdout());
            c.stdin("echo attached-$((40+2))\n".getBytes(StandardCharsets.UTF_8));
            out.expect("attached-42");
            c.resize(90, 30);
            expectTerminalSize(c, out, 30, 90);
        }
        Pods.await(() -> Pods.status(client, ttyShell).getState() == CONTAINER_RUNNING, 5, "the container to keep running after detach");
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void attachToAPipeContainer(Wire wire) throws IOException {
        String url = client.runtime().attach(AttachRequest.newBuilder().setContainerId(cat).setStdin(true).setStdout(true)
                .setStderr(true).build()).getUrl();
        try (StdioConnection c = StreamClients.stdio(wire, url, new StdioWiring(true, true, true, false))) {
            Collector out = new Collector(c.stdout());
            c.stdin(("through cat " + wire + "\n").getBytes(StandardCharsets.UTF_8));
            out.expect("through cat " + wire);
        }
        assertEquals(CONTAINER_RUNNING, Pods.status(client, cat).getState());
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void portForwardReachesLoopbackOnlyAndPodIpServers(Wire wire) throws IOException {
        String url = client.runtime().portForward(PortForwardRequest.newBuilder().setPodSandboxId(podId).addPort(8080).addPort(8081)
                .build()).getUrl();
        assertTrue(url.contains("/portforward/"), url);
        assertTrue(httpOver(wire, url, 8080).contains("only-on-loopback"));
        // Each URL is single-use: a second forward asks for a second URL.
        String again = client.runtime().portForward(PortForwardRequest.newBuilder().setPodSandboxId(podId).addPort(8081).build()).getUrl();
        assertTrue(httpOver(wire, again, 8081).contains("on-the-pod-ip"));
        assertTrue(httpFromHost("http://" + podIp + ":8081/").contains("on-the-pod-ip"), "the same server by pod IP");
    }

    private static String httpOver(Wire wire, String url, int port) throws IOException {
        try (ForwardConnection f = StreamClients.forward(wire, url, port)) {
            OutputStream out = f.output();
            out.write("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String response = readAll(f.input());
            assertTrue(response.startsWith("HTTP/1.0 200") || response.startsWith("HTTP/1.1 200"), response);
            return response;
        }
    }

    @Test
    void portForwardIntoAHostNetworkPodUsesTheHostLoopbackAndEndsWhenThePodStops() throws IOException {
        int port = 20000 + (int) (ProcessHandle.current().pid() % 20000);
        PodSandboxConfig.Builder builder = Pods.pod("hostnet", dir.resolve("logs-hostnet"));
        builder.getLinuxBuilder().getSecurityContextBuilder().getNamespaceOptionsBuilder().setNetwork(io.crisp.cri.v1.NamespaceMode.NODE);
        PodSandboxConfig pod = builder.build();
        String hostPod = Pods.run(client, pod);
        try {
            Pods.createAndStart(client, hostPod, pod, Pods.container("web", "sh", "-c",
                    "mkdir -p /www && echo on-the-host-loopback > /www/index.html && exec httpd -f -p 127.0.0.1:" + port + " -h /www").build());
            Pods.await(() -> {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    return true;
                } catch (IOException e) {
                    return false;
                }
            }, 20, "httpd on the host's 127.0.0.1:" + port);
            String url = client.runtime().portForward(PortForwardRequest.newBuilder().setPodSandboxId(hostPod).addPort(port).build()).getUrl();
            assertTrue(httpOver(Wire.SPDY, url, port).contains("on-the-host-loopback"));

            String held = client.runtime().portForward(PortForwardRequest.newBuilder().setPodSandboxId(hostPod).addPort(port).build()).getUrl();
            try (ForwardConnection idle = StreamClients.forward(Wire.WEBSOCKET, held, port)) {
                client.runtime().stopPodSandbox(io.crisp.cri.v1.StopPodSandboxRequest.newBuilder().setPodSandboxId(hostPod).build());
                java.util.concurrent.CompletableFuture<Integer> end = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return idle.input().read();
                    } catch (IOException e) {
                        return -1;
                    }
                });
                assertEquals(-1, end.join(), "the forwarded connection ends with the pod");
            }
        } finally {
            client.runtime().removePodSandbox(io.crisp.cri.v1.RemovePodSandboxRequest.newBuilder().setPodSandboxId(hostPod).build());
        }
    }

    @Test
    void portForwardToAClosedPortReportsOnTheErrorStream() throws IOException {
        String url = client.runtime().portForward(PortForwardRequest.newBuilder().setPodSandboxId(podId).addPort(9).build()).getUrl();
        try (ForwardConnection f = StreamClients.forward(Wire.SPDY, url, 9)) {
            String error = f.awaitError(WAIT).orElseThrow();
            assertTrue(error.contains("localhost:9") && error.contains(podId), error);
        }
    }

    @Test
    void urlsAreSingleUse() throws IOException {
        String url = execUrl(web, false, true, false, false, "true");
        try (StdioConnection c = StreamClients.stdio(Wire.SPDY, url, new StdioWiring(false, true, false, false))) {
            assertTrue(c.awaitStatus(WAIT).orElseThrow().contains("Success"));
        }
        IOException reused = assertThrows(IOException.class, () -> StreamClients.stdio(Wire.WEBSOCKET, url, new StdioWiring(false, true, false, false)));
        assertTrue(reused.getMessage().contains("404"), reused.getMessage());
    }

    @Test
    void theServerListensOnLoopbackOnly() throws IOException {
        URI url = URI.create(execUrl(web, false, true, false, false, "true"));
        assertEquals("127.0.0.1", url.getHost());
        List<InetAddress> others = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .flatMap(i -> Collections.list(i.getInetAddresses()).stream()).filter(a -> !a.isLoopbackAddress())
                .filter(a -> a instanceof java.net.Inet4Address).toList();
        assertFalse(others.isEmpty(), "this machine has a non-loopback address to try");
        for (InetAddress address : others) {
            assertThrows(IOException.class, () -> new Socket(address, url.getPort()).close(), "reachable on " + address);
        }
    }

    @Test
    void theExecdProcessDiesWhenTheClientGoesAway() throws IOException {
        String url = execUrl(web, false, true, false, false, "sleep", "4242");
        StdioConnection c = StreamClients.stdio(Wire.SPDY, url, new StdioWiring(false, true, false, false));
        Pods.await(() -> execSync(web, "ps").contains("sleep 4242"), 10, "the exec'd process to run");
        c.close();
        Pods.await(() -> !execSync(web, "ps").contains("sleep 4242"), 10, "the exec'd process to be killed");
    }

    @Test
    void stoppingTheContainerEndsItsExecAndAttachSessions() throws IOException {
        PodSandboxConfig pod = Pods.pod("streams", dir.resolve("logs")).build();
        String victim = Pods.createAndStart(client, podId, pod, Pods.container("victim", "sh").setStdin(true).setTty(true).build());
        Pods.awaitState(client, victim, CONTAINER_RUNNING, 20);
        String execUrl = execUrl(victim, false, true, false, false, "sleep", "5000");
        String attachUrl = client.runtime().attach(AttachRequest.newBuilder().setContainerId(victim).setStdout(true).setTty(true).build())
                .getUrl();
        try (StdioConnection exec = StreamClients.stdio(Wire.WEBSOCKET, execUrl, new StdioWiring(false, true, false, false));
             StdioConnection attach = StreamClients.stdio(Wire.SPDY, attachUrl, new StdioWiring(false, true, false, true))) {
            Pods.await(() -> execSync(victim, "ps").contains("sleep 5000"), 10, "the exec'd process to run");
            client.runtime().stopContainer(io.crisp.cri.v1.StopContainerRequest.newBuilder().setContainerId(victim).setTimeout(0).build());
            String status = exec.awaitStatus(WAIT).orElseThrow();
            assertTrue(status.contains("\"status\":\"Failure\""), "the killed exec reports a failure: " + status);
            assertTrue(attach.awaitStatus(WAIT).isPresent(), "the attach session ended too");
        } finally {
            client.runtime().removeContainer(io.crisp.cri.v1.RemoveContainerRequest.newBuilder().setContainerId(victim).build());
        }
    }

    @Test
    void requestsAreValidated() {
        StatusRuntimeException both = assertThrows(StatusRuntimeException.class, () -> execUrl(web, false, true, true, true, "sh"));
        assertEquals(Status.Code.INVALID_ARGUMENT, both.getStatus().getCode());
        assertTrue(both.getStatus().getDescription().contains("tty"), both.getStatus().getDescription());
        StatusRuntimeException none = assertThrows(StatusRuntimeException.class, () -> execUrl(web, false, false, false, false, "sh"));
        assertEquals(Status.Code.INVALID_ARGUMENT, none.getStatus().getCode());
        StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> execUrl("nope", false, true, false, false, "sh"));
        assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
        StatusRuntimeException port = assertThrows(StatusRuntimeException.class, () -> client.runtime().portForward(
                PortForwardRequest.newBuilder().setPodSandboxId(podId).addPort(70000).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, port.getStatus().getCode());
    }

    private static String httpFromHost(String url) {
        try {
            java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            return http.send(java.net.http.HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
