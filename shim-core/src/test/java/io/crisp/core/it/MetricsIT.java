package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.PodSandboxStatusRequest;
import io.crisp.cri.v1.StatusRequest;
import io.crisp.cri.v1.VersionRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /metrics of a real daemon started with --metrics-port, and {@code crisp status} against it. */
final class MetricsIT {
    /** A sample line of the Prometheus text format: name, optional labels, value, optional timestamp. */
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})? (\\S+)( -?\\d+)?");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*=\"(\\\\.|[^\"\\\\])*\"");

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void scrapeHasRpcTimingsByCodeAndPluginCallsAndIsServedOnLoopbackOnly() throws Exception {
        int port = freePort();
        try (DaemonProcess daemon = new DaemonProcess(dir).start("--metrics-port", Integer.toString(port))) {
            daemon.client().runtime().version(VersionRequest.getDefaultInstance());
            daemon.client().runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance());
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> daemon.client().runtime()
                    .podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId("0123456789abcdef").build()));
            assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
            daemon.client().runtime().status(StatusRequest.getDefaultInstance()); // asks every backend for its health

            HttpResponse<String> response = get(port, "/metrics");
            assertEquals(200, response.statusCode());
            assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/plain; version=0.0.4"));
            String text = response.body();
            List<String> problems = new ArrayList<>();
            for (String line : text.split("\n")) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                Matcher m = SAMPLE.matcher(line);
                if (!m.matches() || !isNumber(m.group(3)) || (m.group(2) != null && !labelsValid(m.group(2)))) {
                    problems.add(line);
                }
            }
            assertEquals(List.of(), problems, "lines that are not `name{labels} value`");
            assertTrue(text.contains("# TYPE crisp_rpc_duration_seconds histogram"), text);
            assertTrue(text.contains("crisp_rpc_duration_seconds_count{code=\"NOT_FOUND\",handler=\"\",rpc=\"PodSandboxStatus\"} 1"), text);
            assertTrue(text.contains("crisp_rpc_errors_total{code=\"NOT_FOUND\",handler=\"\",rpc=\"PodSandboxStatus\"} 1"), text);
            assertTrue(text.contains("crisp_rpc_duration_seconds_count{code=\"OK\",handler=\"\",rpc=\"ListPodSandbox\"} 1"), text);
            // DaemonProcess calls Version until the daemon answers; the test once more.
            assertTrue(Pattern.compile("crisp_rpc_duration_seconds_count\\{code=\"OK\",handler=\"\",rpc=\"Version\"} [1-9]").matcher(text).find(), text);
            assertTrue(text.contains("crisp_plugin_call_duration_seconds_count{handler=\"runc\",method=\"health\",outcome=\"ok\",plugin=\"runc\"}"),
                    text);
            assertTrue(text.contains("crisp_sandboxes{handler=\"runc\",state=\"ready\"} 0"), text);
            assertTrue(text.contains("crisp_containers{handler=\"runc\",state=\"running\"} 0"), text);

            assertEquals(404, get(port, "/").statusCode());
            assertEquals(List.of("0100007F"), listeningAddresses(port), "the metrics server listens on 127.0.0.1 only");
        }
    }

    @Test
    void statusPrintsEverySectionWithTheMetricsUrl() throws Exception {
        int port = freePort();
        try (DaemonProcess daemon = new DaemonProcess(dir)) {
            daemon.addPlugin(Crisp.EXAMPLE_PLUGIN).writeConfig("""
                    [runtimes.runc]
                    plugin = "runc"
                    [runtimes.demo]
                    plugin = "example"
                    """).start("--metrics-port", Integer.toString(port));
            Crisp.Run run = Crisp.run(command(daemon, "status"));
            assertEquals(0, run.exitCode(), run.all());
            String out = run.stdout();
            List<String> labels = out.lines().map(l -> l.isBlank() || l.startsWith(" ") ? "" : l.substring(0, l.indexOf(':') + 1))
                    .filter(l -> !l.isEmpty()).toList();
            assertEquals(List.of("Version:", "Socket:", "Daemon:", "Network:", "Handlers:", "Pods:", "Containers:", "Images:",
                    "Image store:", "Streaming:", "Metrics:"), labels, out);
            // What an operator without systemd looks for: which process, since when, and where its log goes.
            assertTrue(Pattern.compile("(?m)^Daemon:      pid " + daemon.pid() + ", up \\d+s, log " + Pattern.quote(daemon.log.toString())
                    + "$").matcher(out).find(), out);
            assertTrue(out.contains("Network:     not ready (NetworkPluginNotReady: "), "no CNI config in the test's directory: " + out);
            assertTrue(out.contains("Version:     crisp " + Crisp.VERSION + " (CRI v1"), out);
            assertTrue(out.contains("Socket:      unix://" + daemon.socket), out);
            assertTrue(Pattern.compile("(?m)^Handlers:    runc +default +plugin runc ").matcher(out).find(), out);
            assertTrue(Pattern.compile("(?m)^ {13}demo +plugin example ").matcher(out).find(), out);
            assertTrue(out.contains("Pods:        0 total: 0 ready, 0 not ready"), out);
            assertTrue(out.contains("Containers:  0 total: 0 created, 0 running, 0 exited, 0 unknown"), out);
            assertTrue(out.contains("Images:      0, 0 B"), out);
            assertTrue(out.contains("Image store: " + daemon.root.resolve("images")), out);
            assertTrue(Pattern.compile("(?m)^Streaming:   http://127\\.0\\.0\\.1:\\d+$").matcher(out).find(), out);
            assertTrue(out.contains("Metrics:     http://127.0.0.1:" + port + "/metrics"), out);

            Crisp.Run json = Crisp.run(command(daemon, "status", "--json"));
            assertEquals(0, json.exitCode(), json.all());
            JsonNode summary = new ObjectMapper().readTree(json.stdout());
            assertEquals(Crisp.VERSION, summary.path("version").path("runtime").asText());
            assertEquals(2, summary.path("handlers").size());
            assertEquals(0, summary.path("pods").path("total").asInt());
            assertEquals("http://127.0.0.1:" + port + "/metrics", summary.path("endpoints").path("metrics").asText());
        }
    }

    @Test
    void metricsAreOffByDefault() {
        try (DaemonProcess daemon = new DaemonProcess(dir).start()) {
            Crisp.Run run = Crisp.run(command(daemon, "status"));
            assertEquals(0, run.exitCode(), run.all());
            assertTrue(run.stdout().contains("Metrics:     off"), run.stdout());
            assertFalse(daemon.logs().contains("Metrics server listening"), daemon.logs());
        }
    }

    private static List<String> command(DaemonProcess daemon, String... args) {
        List<String> command = new ArrayList<>(List.of(args));
        command.addAll(daemon.flags());
        return command;
    }

    private static boolean isNumber(String value) {
        if (value.equals("+Inf") || value.equals("-Inf") || value.equals("NaN")) {
            return true;
        }
        try {
            Double.parseDouble(value);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean labelsValid(String braces) {
        String inner = braces.substring(1, braces.length() - 1);
        if (inner.isEmpty()) {
            return true;
        }
        Matcher m = LABEL.matcher(inner);
        int at = 0;
        while (m.find(at) && m.start() == at) {
            at = m.end();
            if (at == inner.length()) {
                return true;
            }
            if (inner.charAt(at) != ',') {
                return false;
            }
            at++;
        }
        return false;
    }

    /** Local addresses (hex, as /proc/net/tcp writes them; IPv4-mapped ones as IPv4) listening on {@code port}. */
    private static List<String> listeningAddresses(int port) throws IOException {
        String hexPort = String.format(Locale.ROOT, ":%04X", port);
        List<String> addresses = new ArrayList<>();
        for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path path = Path.of(file);
            if (!Files.exists(path)) {
                continue;
            }
            for (String line : Files.readAllLines(path)) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 3 && f[1].endsWith(hexPort) && f[3].equals("0A")) {
                    String address = f[1].substring(0, f[1].indexOf(':'));
                    // An IPv4 address bound by an IPv6 socket appears as ::ffff:a.b.c.d in tcp6.
                    addresses.add(address.startsWith("0000000000000000FFFF0000") ? address.substring(24) : address);
                }
            }
        }
        return addresses;
    }
}
