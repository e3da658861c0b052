package io.crisp.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.crisp.core.image.ref.RegistryCredentials;
import io.crisp.core.image.testing.TestImages;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Registries that misbehave in ways Debian's real registry cannot be made to: a blob whose bytes do
 * not match its digest, and a registry that stops sending in the middle of a blob. The server is a
 * small stand-in speaking the distribution API; the image service under test is the real one.
 */
final class MisbehavingRegistryTest {
    @TempDir
    Path dir;

    private HttpServer server;
    private final Map<String, byte[]> manifests = new ConcurrentHashMap<>();
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private volatile String stallOn = "";
    private volatile long blobDelayMillis;
    private final Map<String, java.util.concurrent.atomic.AtomicInteger> requests = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v2/", this::serve);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void serve(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        requests.computeIfAbsent(path, p -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
        byte[] body;
        String type = "application/octet-stream";
        if (path.contains("/manifests/")) {
            body = manifests.get(path.substring(path.lastIndexOf('/') + 1));
            type = TestImages.OCI_MANIFEST;
        } else if (path.contains("/blobs/")) {
            String digest = path.substring(path.lastIndexOf('/') + 1);
            if (blobDelayMillis > 0) {
                try {
                    Thread.sleep(blobDelayMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
            body = blobs.get(digest);
            if (body != null && digest.equals(stallOn)) {
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body, 0, body.length / 2);
                    out.flush();
                    Thread.sleep(10_000); // then nothing more: the client's stall timeout must fire
                } catch (InterruptedException | IOException e) {
                    return;
                }
                return;
            }
        } else {
            body = "{}".getBytes();
        }
        if (body == null) {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private ImageService service() throws IOException {
        Path conf = dir.resolve("registries.conf");
        Files.writeString(conf, "[[registry]]\nlocation = \"127.0.0.1:" + server.getAddress().getPort() + "\"\ninsecure = true\n");
        ImageService service = new ImageService(dir.resolve("root"), () -> new ImageService.PullSettings(conf, dir.resolve("auth.json"),
                Duration.ofSeconds(1), 3, "linux/amd64"));
        service.start();
        return service;
    }

    private TestImages.BuiltImage publish(String repository, String tag) {
        TestImages.BuiltImage image = TestImages.busybox(repository, tag, 1, 200_000);
        manifests.put(tag, image.manifest());
        manifests.put(image.manifestDigest(), image.manifest());
        blobs.put(image.config().digest(), image.config().bytes());
        image.layers().forEach(l -> blobs.put(l.digest(), l.bytes()));
        return image;
    }

    private String name(String repository, String tag) {
        return "127.0.0.1:" + server.getAddress().getPort() + "/" + repository + ":" + tag;
    }

    @Test
    void blobThatDoesNotMatchItsDigestIsRejectedAndNothingIsStored() throws IOException {
        TestImages.BuiltImage image = publish("crisp/liar", "1");
        String layer = image.layers().get(1).digest();
        byte[] forged = image.layers().get(1).bytes().clone();
        forged[forged.length / 2] ^= 0x55;
        blobs.put(layer, forged);
        ImageService service = service();
        BackendException e = assertThrows(BackendException.class,
                () -> service.pull(name("crisp/liar", "1"), RegistryCredentials.fromAuthConfig("", "", "", "", ""), Optional.empty()));
        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("does not match its digest") && e.getMessage().contains(layer), e.getMessage());
        assertNothingStored(service);
    }

    @Test
    void registryThatStallsMidBlobIsCancelledByTheProgressTimeout() throws IOException {
        TestImages.BuiltImage image = publish("crisp/stall", "1");
        stallOn = image.layers().get(2).digest();
        ImageService service = service();
        long started = System.nanoTime();
        BackendException e = assertThrows(BackendException.class,
                () -> service.pull(name("crisp/stall", "1"), RegistryCredentials.fromAuthConfig("", "", "", "", ""), Optional.empty()));
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        assertEquals(BackendException.Kind.UNAVAILABLE, e.kind());
        assertTrue(e.getMessage().contains("sent no data for 1s"), e.getMessage());
        assertTrue(seconds < 8, "the stall timeout (1 s), not the server's 10 s pause, ends the pull: " + seconds + " s");
        assertNothingStored(service);
    }

    @Test
    void concurrentPullsOfOneImageShareOneDownload() throws Exception {
        TestImages.BuiltImage image = publish("crisp/shared", "1");
        blobDelayMillis = 500; // long enough that all callers arrive while the first pull runs
        ImageService service = service();
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            java.util.List<java.util.concurrent.Future<ImageRecord>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(callers.submit(() -> service.pull(name("crisp/shared", "1"), RegistryCredentials.anonymous(), Optional.empty())));
            }
            for (var result : results) {
                assertEquals(image.config().digest(), result.get().id());
            }
        } finally {
            callers.shutdownNow();
        }
        assertEquals(1, requests.get("/v2/crisp/shared/manifests/1").get(), "one pull served all four callers");
        for (TestImages.Blob layer : image.layers()) {
            assertEquals(1, requests.get("/v2/crisp/shared/blobs/" + layer.digest()).get(), "layer " + layer.digest() + " fetched once");
        }
    }

    private static void assertNothingStored(ImageService service) throws IOException {
        assertEquals(0, service.list(Optional.empty()).size());
        for (String sub : new String[] {"blobs/sha256", "ingest", "layers", "meta"}) {
            Path p = service.root().resolve(sub);
            if (Files.isDirectory(p)) {
                try (Stream<Path> files = Files.list(p)) {
                    assertEquals(0, files.count(), "left in " + p);
                }
            }
        }
    }
}
