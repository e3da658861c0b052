package io.crisp.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.container.Container;
import io.crisp.core.metrics.state.StateGauges;
import io.crisp.core.sandbox.Sandbox;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;

final class MetricsServerTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final RuntimeMetrics metrics = new RuntimeMetrics(registry, () -> "runc");
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(MetricsServer server, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.localAddress().getPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesTheScrapeOnMetricsAnd404Elsewhere() throws Exception {
        metrics.pullSucceeded("registry.example/team/app", 1000, 2_000_000);
        metrics.pullSucceeded("registry.example/team/app", 500, 2_000_000);
        metrics.pullSucceeded("docker.io/library/busybox", 700, 2_000_000);
        metrics.pullFailed(1_000_000);
        metrics.oomKilled("runc");
        try (MetricsServer server = MetricsServer.start("127.0.0.1", 0, () -> metrics.scrape(registry))) {
            assertTrue(server.localAddress().getAddress().isLoopbackAddress());
            assertEquals("http://127.0.0.1:" + server.localAddress().getPort() + "/metrics", server.url());
            HttpResponse<String> ok = get(server, "/metrics");
            assertEquals(200, ok.statusCode());
            assertEquals(MetricsServer.CONTENT_TYPE, ok.headers().firstValue("content-type").orElse(""));
            assertTrue(ok.body().contains("crisp_image_pull_bytes_total{image=\"registry.example/team/app\"} 1500.0"), ok.body());
            assertTrue(ok.body().contains("crisp_image_pull_bytes_total{image=\"docker.io/library/busybox\"} 700.0"), ok.body());
            assertTrue(ok.body().contains("crisp_image_pull_duration_seconds_count{outcome=\"ok\"} 3"), ok.body());
            assertTrue(ok.body().contains("crisp_image_pull_duration_seconds_count{outcome=\"error\"} 1"), ok.body());
            assertTrue(ok.body().contains("crisp_oom_kills_total{handler=\"runc\"} 1.0"), ok.body());
            assertEquals(200, get(server, "/metrics?name[]=x").statusCode());
            assertEquals(404, get(server, "/").statusCode());
            assertEquals(404, get(server, "/metrics/x").statusCode());
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(server.url()))
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
        }
    }

    @Test
    void aPortInUseIsReportedWithTheAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            IOException e = assertThrows(IOException.class, () -> MetricsServer.start("127.0.0.1", taken.getLocalPort(), () -> ""));
            assertTrue(e.getMessage().startsWith("metrics server: cannot listen on /127.0.0.1:" + taken.getLocalPort()), e.getMessage());
        }
    }

    @Test
    void stateGaugesCountEveryStateOfEveryHandler() {
        Collection<Sandbox> none = List.of();
        Collection<Container> noContainers = List.of();
        StateGauges.register(metrics, () -> none, () -> noContainers, () -> List.of("runc", "kata"));
        String text = metrics.scrape(registry);
        assertTrue(text.contains("crisp_sandboxes{handler=\"kata\",state=\"not_ready\"} 0"), text);
        assertTrue(text.contains("crisp_containers{handler=\"runc\",state=\"running\"} 0"), text);
    }
}
