package io.crisp.core.image.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.core.image.testing.TestImages.Blob;
import io.crisp.core.image.testing.TestImages.BuiltImage;
import io.crisp.core.image.testing.TestImages.BuiltIndex;
import io.crisp.core.image.testing.TestImages.Format;
import io.crisp.core.image.testing.TestImages.TarEntry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Proves {@link TestRegistry} and {@link TestImages} against the real docker-registry, read back with plain HTTP. */
final class TestRegistryTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    static TestRegistry registry;

    @BeforeAll
    static void startRegistry() {
        registry = TestRegistry.start(shared.resolve("registry"));
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void writesTheConfigAndAnswersOnLoopback() throws Exception {
        String config = Files.readString(registry.dir().resolve("config.yml"));
        assertTrue(config.contains("addr: 127.0.0.1:" + registry.port()), config);
        assertTrue(config.contains("enabled: true"), config);
        assertEquals("127.0.0.1:" + registry.port(), registry.host());
        assertEquals(URI.create("http://127.0.0.1:" + registry.port() + "/"), registry.base());
        HttpResponse<byte[]> ping = get("v2/", null, null);
        assertEquals(200, ping.statusCode());
        assertEquals("registry/2.0", ping.headers().firstValue("Docker-Distribution-Api-Version").orElse(null));
    }

    @Test
    void servesAnOciImageAsPushed() throws Exception {
        long start = System.nanoTime();
        BuiltImage image = TestImages.pushOci(registry, "crisp/busybox", "oci");
        System.out.printf("busybox OCI image built and pushed in %d ms%n", (System.nanoTime() - start) / 1_000_000);

        assertEquals(TestImages.OCI_MANIFEST, image.manifestMediaType());
        assertEquals(TestImages.OCI_CONFIG, image.config().mediaType());
        assertEquals(List.of(TestImages.OCI_LAYER_GZIP, TestImages.OCI_LAYER_GZIP), image.layers().stream().map(Blob::mediaType).toList());
        assertManifestServed(image.repository(), "oci", TestImages.OCI_MANIFEST, image.manifestDigest(), image.manifest());
        assertManifestServed(image.repository(), image.manifestDigest(), TestImages.OCI_MANIFEST, image.manifestDigest(), image.manifest());
        assertBlobsServed(image);

        // distribution 2.8 does not serve an OCI manifest to a client that does not ask for OCI
        assertEquals(404, get("v2/crisp/busybox/manifests/oci", null, null).statusCode());
        assertEquals(404, get("v2/crisp/busybox/manifests/oci", TestImages.DOCKER_MANIFEST, null).statusCode());
    }

    @Test
    void servesADockerSchema2ImageAsPushed() throws Exception {
        BuiltImage image = TestImages.pushDockerSchema2(registry, "crisp/busybox", "docker");

        assertEquals(TestImages.DOCKER_MANIFEST, image.manifestMediaType());
        assertEquals(TestImages.DOCKER_CONFIG, image.config().mediaType());
        assertTrue(image.layers().stream().allMatch(l -> l.mediaType().equals(TestImages.DOCKER_LAYER_GZIP)));
        assertManifestServed(image.repository(), "docker", TestImages.DOCKER_MANIFEST, image.manifestDigest(), image.manifest());
        assertBlobsServed(image);
        // distribution 2.8 converts schema2 to signed schema1 for a client that does not ask for schema2
        HttpResponse<byte[]> schema1 = get("v2/crisp/busybox/manifests/docker", TestImages.OCI_MANIFEST, null);
        assertEquals(200, schema1.statusCode());
        assertEquals("application/vnd.docker.distribution.manifest.v1+prettyjws", schema1.headers().firstValue("Content-Type").orElseThrow());
        assertNotEquals(image.manifestDigest(), schema1.headers().firstValue("Docker-Content-Digest").orElseThrow());
        // same layer bytes as the OCI build: only media types differ in the manifest
        assertEquals(TestImages.busybox("crisp/busybox", "docker", 0, 0).layers().stream().map(Blob::digest).toList(),
                image.layers().stream().map(Blob::digest).toList());
    }

    @Test
    void servesAnOciIndexAndItsPlatformManifests() throws Exception {
        BuiltIndex index = TestImages.pushIndex(registry, "crisp/multi", "oci", false);
        assertIndexServed(index, TestImages.OCI_INDEX, TestImages.OCI_MANIFEST);
    }

    @Test
    void servesADockerManifestListAndItsPlatformManifests() throws Exception {
        BuiltIndex index = TestImages.pushIndex(registry, "crisp/multi", "docker", true);
        assertIndexServed(index, TestImages.DOCKER_MANIFEST_LIST, TestImages.DOCKER_MANIFEST);

        // A client that does not accept manifest lists gets the linux/amd64 manifest instead.
        HttpResponse<byte[]> fallback = get("v2/crisp/multi/manifests/docker", TestImages.DOCKER_MANIFEST, null);
        assertEquals(200, fallback.statusCode());
        assertEquals(index.amd64().manifestDigest(), fallback.headers().firstValue("Docker-Content-Digest").orElseThrow());
    }

    @Test
    void acceptAllManifestsServesEveryKind() throws Exception {
        BuiltImage oci = TestImages.pushOci(registry, "crisp/any", "oci");
        BuiltImage docker = TestImages.pushDockerSchema2(registry, "crisp/any", "docker");
        BuiltIndex index = TestImages.pushIndex(registry, "crisp/any", "index", false);
        for (Map.Entry<String, String> e : Map.of("oci", oci.manifestDigest(), "docker", docker.manifestDigest(),
                "index", index.indexDigest()).entrySet()) {
            HttpResponse<byte[]> r = get("v2/crisp/any/manifests/" + e.getKey(), TestImages.ACCEPT_ALL_MANIFESTS, null);
            assertEquals(200, r.statusCode(), e.getKey());
            assertEquals(e.getValue(), r.headers().firstValue("Docker-Content-Digest").orElseThrow(), e.getKey());
        }
    }

    @Test
    void busyboxLayerIsARealRootFileSystem() throws Exception {
        BuiltImage image = TestImages.busybox("crisp/busybox", "fs", 0, 0);
        List<String> diffIds = image.diffIds();
        assertEquals(2, diffIds.size());

        byte[] tar = gunzip(image.layers().get(0).bytes());
        assertEquals(diffIds.get(0), TestRegistry.sha256(tar));
        Map<String, TarArchiveEntry> entries = new LinkedHashMap<>();
        Map<String, byte[]> contents = new LinkedHashMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
                entries.put(e.getName(), e);
                contents.put(e.getName(), in.readAllBytes());
                assertEquals(0, e.getLongUserId());
                assertEquals(0, e.getLongGroupId());
                assertEquals(TestImages.EPOCH.getEpochSecond(), e.getModTime().toInstant().getEpochSecond());
                assertEquals(List.of(), new ArrayList<>(e.getExtraPaxHeaders().keySet()), e.getName());
            }
        }
        assertEquals(List.of("bin/", "bin/busybox", "bin/cat", "bin/echo", "bin/id", "bin/ls", "bin/sh", "bin/sleep",
                "etc/", "etc/group", "etc/passwd", "root/", "tmp/"), new ArrayList<>(entries.keySet()));
        assertTrue(entries.get("tmp/").isDirectory());
        assertEquals(01777, entries.get("tmp/").getMode());
        assertEquals(0755, entries.get("bin/").getMode());
        assertEquals(0755, entries.get("bin/busybox").getMode());
        assertTrue(entries.get("bin/busybox").isFile());
        assertArrayEquals(Files.readAllBytes(TestImages.BUSYBOX), contents.get("bin/busybox"));
        for (String applet : List.of("sh", "ls", "sleep", "echo", "cat", "id")) {
            assertTrue(entries.get("bin/" + applet).isSymbolicLink(), applet);
            assertEquals("busybox", entries.get("bin/" + applet).getLinkName(), applet);
        }
        assertEquals(TestImages.PASSWD, new String(contents.get("etc/passwd"), StandardCharsets.UTF_8));
        assertEquals(TestImages.GROUP, new String(contents.get("etc/group"), StandardCharsets.UTF_8));

        byte[] second = gunzip(image.layers().get(1).bytes());
        assertEquals(diffIds.get(1), TestRegistry.sha256(second));
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(second))) {
            TarArchiveEntry e = in.getNextEntry();
            assertEquals(TestImages.TAG_FILE, e.getName());
            assertEquals("crisp/busybox:fs\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
            assertEquals(null, in.getNextEntry());
        }
    }

    @Test
    void configIsTheDocumentedOciConfig() throws Exception {
        BuiltImage image = TestImages.busybox("crisp/busybox", "config", 0, 0);
        JsonNode config = JSON.readTree(image.config().bytes());
        assertEquals("amd64", config.path("architecture").asText());
        assertEquals("linux", config.path("os").asText());
        JsonNode c = config.path("config");
        assertEquals(TestImages.ENV, JSON.convertValue(c.path("Env"), List.class));
        assertTrue(c.has("Entrypoint") && c.path("Entrypoint").isNull());
        assertEquals(List.of("sh"), JSON.convertValue(c.path("Cmd"), List.class));
        assertEquals("/", c.path("WorkingDir").asText());
        assertEquals("", c.path("User").asText());
        assertEquals("busybox", c.path("Labels").path("io.crisp.test").asText());
        assertEquals("SIGTERM", c.path("StopSignal").asText());
        assertTrue(c.path("Volumes").path("/data").isObject());
        assertEquals("layers", config.path("rootfs").path("type").asText());
        assertEquals(image.diffIds().size(), config.path("history").size());
    }

    @Test
    void buildsAreDeterministicAndTagsDiffer() {
        BuiltImage a = TestImages.busybox("crisp/busybox", "same", 1, 4096);
        BuiltImage b = TestImages.busybox("crisp/busybox", "same", 1, 4096);
        BuiltImage other = TestImages.busybox("crisp/busybox", "other", 1, 4096);
        assertEquals(a.manifestDigest(), b.manifestDigest());
        assertArrayEquals(a.manifest(), b.manifest());
        assertNotEquals(a.manifestDigest(), other.manifestDigest());
        assertEquals(a.layers().get(0).digest(), other.layers().get(0).digest(), "the busybox layer is shared");
        assertNotEquals(a.layers().get(1).digest(), other.layers().get(1).digest());
        assertNotEquals(a.layers().get(2).digest(), other.layers().get(2).digest(), "filler is seeded by the tag");
        assertNotEquals(TestImages.busybox(Format.OCI, "arm64", "crisp/busybox", "same", 1, 4096).config().digest(),
                a.config().digest());
    }

    @Test
    void fillerLayersAreIncompressibleAndServed() throws Exception {
        int size = 1 << 20;
        BuiltImage image = TestImages.pushOci(registry, "crisp/filler", "v1", 3, size);
        assertEquals(5, image.layers().size());
        assertEquals(5, image.diffIds().size());
        for (int i = 2; i < 5; i++) {
            Blob layer = image.layers().get(i);
            assertTrue(layer.size() > size, "random bytes do not compress: " + layer.size());
            byte[] tar = gunzip(layer.bytes());
            assertEquals(image.diffIds().get(i), TestRegistry.sha256(tar));
            try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
                assertEquals("crisp-filler/", in.getNextEntry().getName());
                TarArchiveEntry file = in.getNextEntry();
                assertEquals("crisp-filler/" + (i - 2) + ".bin", file.getName());
                assertEquals(size, in.readAllBytes().length);
            }
        }
        assertEquals(3, image.layers().stream().skip(2).map(Blob::digest).distinct().count());
        assertBlobsServed(image);
    }

    @Test
    void customLayersFromTarEntries() throws Exception {
        byte[] tar = TestImages.layerTar(List.of(TarEntry.dir("data", 0750), TarEntry.file("data/a", 0600, "a"),
                TarEntry.hardlink("data/b", "data/a", 0600), TarEntry.file("data/.wh.gone", 0, new byte[0])));
        BuiltImage image = TestImages.push(registry, TestImages.image(Format.OCI, "amd64", "crisp/custom", "v1", List.of(tar)));
        assertEquals(List.of(TestRegistry.sha256(tar)), image.diffIds());
        assertManifestServed("crisp/custom", "v1", TestImages.OCI_MANIFEST, image.manifestDigest(), image.manifest());
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(gunzip(image.layers().get(0).bytes())))) {
            assertEquals("data/", in.getNextEntry().getName());
            assertEquals("data/a", in.getNextEntry().getName());
            TarArchiveEntry link = in.getNextEntry();
            assertTrue(link.isLink());
            assertEquals("data/a", link.getLinkName());
            assertEquals("data/.wh.gone", in.getNextEntry().getName());
        }
    }

    @Test
    void basicAuthRegistryDemandsCredentials(@TempDir Path dir) throws Exception {
        try (TestRegistry secured = TestRegistry.startWithBasicAuth(dir, "alice", "s3cret")) {
            assertTrue(Files.readString(dir.resolve("htpasswd")).startsWith("alice:$2y$"));

            HttpResponse<byte[]> anonymous = get(secured, "v2/", null, null);
            assertEquals(401, anonymous.statusCode());
            String challenge = anonymous.headers().firstValue("WWW-Authenticate").orElseThrow();
            assertEquals("Basic realm=\"crisp-test\"", challenge);

            assertEquals(200, get(secured, "v2/", null, secured.authorization()).statusCode());
            String wrong = "Basic " + Base64.getEncoder().encodeToString("alice:wrong".getBytes(StandardCharsets.UTF_8));
            assertEquals(401, get(secured, "v2/", null, wrong).statusCode());

            BuiltImage image = TestImages.pushOci(secured, "crisp/private", "v1");
            HttpResponse<byte[]> manifest = get(secured, "v2/crisp/private/manifests/v1", TestImages.OCI_MANIFEST, secured.authorization());
            assertEquals(200, manifest.statusCode());
            assertEquals(image.manifestDigest(), manifest.headers().firstValue("Docker-Content-Digest").orElseThrow());
            assertEquals(401, get(secured, "v2/crisp/private/manifests/v1", TestImages.OCI_MANIFEST, null).statusCode());
        }
    }

    @Test
    void closeStopsTheRegistry(@TempDir Path dir) throws Exception {
        TestRegistry stopped = TestRegistry.start(dir);
        int port = stopped.port();
        assertEquals(200, get(stopped, "v2/", null, null).statusCode());
        stopped.close();
        assertThrows(ConnectException.class, () -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            }
        });
        stopped.close(); // idempotent
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static void assertManifestServed(String repository, String reference, String accept, String digest, byte[] bytes)
            throws Exception {
        HttpResponse<byte[]> r = get("v2/" + repository + "/manifests/" + reference, accept, null);
        assertEquals(200, r.statusCode(), () -> repository + ":" + reference + " " + new String(r.body(), StandardCharsets.UTF_8));
        assertEquals(digest, r.headers().firstValue("Docker-Content-Digest").orElseThrow());
        assertEquals(accept, r.headers().firstValue("Content-Type").orElseThrow());
        assertArrayEquals(bytes, r.body());
        assertEquals(digest, TestRegistry.sha256(r.body()));

        HttpRequest head = HttpRequest.newBuilder(registry.base().resolve("v2/" + repository + "/manifests/" + reference))
                .header("Accept", accept).method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<Void> h = HTTP.send(head, HttpResponse.BodyHandlers.discarding());
        assertEquals(200, h.statusCode());
        assertEquals(digest, h.headers().firstValue("Docker-Content-Digest").orElseThrow());
    }

    private static void assertBlobsServed(BuiltImage image) throws Exception {
        List<Blob> blobs = new ArrayList<>(image.layers());
        blobs.add(image.config());
        for (Blob blob : blobs) {
            HttpResponse<byte[]> r = get("v2/" + image.repository() + "/blobs/" + blob.digest(), null, null);
            assertEquals(200, r.statusCode(), blob.digest());
            assertEquals(blob.digest(), TestRegistry.sha256(r.body()));
            assertEquals(blob.size(), r.body().length);
            assertEquals(blob.digest(), r.headers().firstValue("Docker-Content-Digest").orElseThrow());
        }
        JsonNode manifest = JSON.readTree(image.manifest());
        assertEquals(image.config().digest(), manifest.path("config").path("digest").asText());
        assertEquals(image.config().mediaType(), manifest.path("config").path("mediaType").asText());
        assertEquals(image.layers().size(), manifest.path("layers").size());
    }

    private static void assertIndexServed(BuiltIndex index, String indexType, String manifestType) throws Exception {
        assertEquals(indexType, index.indexMediaType());
        HttpResponse<byte[]> r = get("v2/" + index.repository() + "/manifests/" + index.tag(), indexType, null);
        assertEquals(200, r.statusCode(), () -> new String(r.body(), StandardCharsets.UTF_8));
        assertEquals(index.indexDigest(), r.headers().firstValue("Docker-Content-Digest").orElseThrow());
        assertArrayEquals(index.index(), r.body());

        JsonNode manifests = JSON.readTree(r.body()).path("manifests");
        assertEquals(2, manifests.size());
        Map<String, String> byPlatform = new LinkedHashMap<>();
        for (JsonNode m : manifests) {
            assertEquals(manifestType, m.path("mediaType").asText());
            byPlatform.put(m.path("platform").path("os").asText() + "/" + m.path("platform").path("architecture").asText(),
                    m.path("digest").asText());
        }
        assertEquals(index.manifestDigests(), byPlatform);
        assertNotEquals(index.amd64().manifestDigest(), index.arm64().manifestDigest());
        assertEquals("arm64", index.arm64().architecture());

        for (BuiltImage image : List.of(index.amd64(), index.arm64())) {
            assertEquals(null, image.tag());
            assertManifestServed(index.repository(), image.manifestDigest(), manifestType, image.manifestDigest(), image.manifest());
            assertBlobsServed(image);
        }
    }

    private static HttpResponse<byte[]> get(String path, String accept, String authorization) throws Exception {
        return get(registry, path, accept, authorization);
    }

    private static HttpResponse<byte[]> get(TestRegistry target, String path, String accept, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(target.base().resolve(path)).timeout(Duration.ofSeconds(30)).GET();
        if (accept != null) {
            b.header("Accept", accept);
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] gunzip(byte[] gz) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        }
    }
}
