package io.crisp.core.image.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * A real OCI distribution registry for tests: Debian's {@code docker-registry} (Docker distribution 2.8)
 * run as a child process on a free loopback port, with filesystem storage under a test directory.
 *
 * <pre>{@code
 * try (TestRegistry registry = TestRegistry.start(tempDir)) {
 *     TestImages.BuiltImage image = TestImages.pushOci(registry, "library/busybox", "1.0");
 *     String ref = registry.host() + "/library/busybox:1.0";
 * }
 * }</pre>
 *
 * <p>What a client talking to it must know (all observed on 2.8.2+ds1):
 * <ul>
 *   <li>Manifests are content negotiated, and neither a wildcard nor a missing {@code Accept} helps.
 *       A GET or HEAD of an OCI image manifest answers {@code 404 MANIFEST_UNKNOWN} ("OCI manifest found, but accept
 *       header does not support OCI manifests") unless {@code application/vnd.oci.image.manifest.v1+json} is in
 *       {@code Accept}; an OCI index likewise needs {@code application/vnd.oci.image.index.v1+json} (the manifest type
 *       alone is not enough). A Docker schema2 manifest requested without the schema2 type is converted on the fly
 *       to a signed schema1 manifest ({@code application/vnd.docker.distribution.manifest.v1+prettyjws}, another
 *       digest). A Docker manifest list requested without the list type is answered with its linux/amd64 child:
 *       schema2 if that is accepted, else schema1. So send every type you understand, comma separated in one
 *       header or as repeated headers (both work), e.g. {@link TestImages#ACCEPT_ALL_MANIFESTS}, and check
 *       {@code Content-Type} of the answer.</li>
 *   <li>The digest of what was served is in {@code Docker-Content-Digest}; the body is the pushed bytes, unchanged.</li>
 *   <li>The upload {@code Location} header is an absolute URL ({@code http://127.0.0.1:PORT/v2/...}) that already
 *       carries a {@code ?_state=...} query, so the digest is appended with {@code &}. Resolve it against
 *       {@link #base()} anyway: registries may answer with a relative one.</li>
 *   <li>With basic auth, {@code GET /v2/} without credentials is {@code 401} with
 *       {@code WWW-Authenticate: Basic realm="crisp-test"}; there is no token server.</li>
 *   <li>Pushing an image index or manifest list fails with {@code 400 MANIFEST_BLOB_UNKNOWN}
 *       unless every child manifest is already in the same repository; an image manifest likewise needs its
 *       config and layer blobs there first. A manifest PUT with a {@code Content-Type} other than its own media type
 *       (say {@code application/json}) is {@code 400 MANIFEST_INVALID}.</li>
 *   <li>Blobs are per repository: a blob stored for one repository is {@code 404 BLOB_UNKNOWN} from another.
 *       Blob GETs are served directly (no redirect with filesystem storage) and honour {@code Range} with {@code 206}.</li>
 * </ul>
 *
 * <p>registry.log gets warnings and errors plus the access log, which {@code log.level} does not silence.
 * {@code REGISTRY_*} environment variables, which override the config file, are cleared for the child.
 * If {@code /usr/bin/docker-registry} is missing the fixture fails (it never skips): install the Debian
 * package {@code docker-registry}, as {@code .ci/run} does.
 */
public final class TestRegistry implements AutoCloseable {
    /** Where Debian's {@code docker-registry} package puts the binary. */
    public static final Path BINARY = Path.of("/usr/bin/docker-registry");
    /** The realm of the basic auth registry; it comes back in {@code WWW-Authenticate}. */
    public static final String REALM = "crisp-test";

    private static final Duration STARTUP = Duration.ofSeconds(20);
    private static final long POLL_MILLIS = 20;
    private static final int PORT_ATTEMPTS = 3;

    private final Path dir;
    private final Process process;
    private final int port;
    private final String authorization;
    private final HttpClient http;
    private final Thread reaper;

    private TestRegistry(Path dir, Process process, int port, String authorization, HttpClient http) {
        this.dir = dir;
        this.process = process;
        this.port = port;
        this.authorization = authorization;
        this.http = http;
        this.reaper = new Thread(process::destroyForcibly, "test-registry-reaper-" + port);
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** Starts an open registry (no auth) storing under {@code dir}; config.yml and registry.log go there too. */
    public static TestRegistry start(Path dir) {
        return launch(dir, null, null);
    }

    /** Starts a registry that requires HTTP basic auth ({@code htpasswd} with bcrypt) for every {@code /v2/} call. */
    public static TestRegistry startWithBasicAuth(Path dir, String user, String password) {
        if (user == null || user.isEmpty() || password == null) {
            throw new IllegalArgumentException("a user and a password are required");
        }
        return launch(dir, user, password);
    }

    private static TestRegistry launch(Path dir, String user, String password) {
        if (!Files.isExecutable(BINARY)) {
            throw new AssertionError(BINARY + " is missing: install the Debian package docker-registry"
                    + " (apt-get install docker-registry; .ci/run installs it). Registry tests never skip.");
        }
        try {
            Files.createDirectories(dir);
            String auth = null;
            if (user != null) {
                writeHtpasswd(dir, user, password);
                auth = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
            }
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
                    .followRedirects(HttpClient.Redirect.NEVER).version(HttpClient.Version.HTTP_1_1).build();
            String lastLog = "";
            // A port picked by binding 0 can be taken again before the registry binds it; retry on that race only.
            for (int attempt = 1; ; attempt++) {
                int port = freePort();
                Files.writeString(dir.resolve("config.yml"), config(dir, port, user != null));
                Path log = dir.resolve("registry.log");
                ProcessBuilder pb = new ProcessBuilder(BINARY.toString(), "serve", dir.resolve("config.yml").toString())
                        .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
                pb.environment().keySet().removeIf(k -> k.startsWith("REGISTRY_"));
                Process process = pb.start();
                String failure = awaitReady(process, http, port);
                if (failure == null) {
                    return new TestRegistry(dir, process, port, auth, http);
                }
                stop(process);
                lastLog = readLog(log);
                if (attempt >= PORT_ATTEMPTS || !lastLog.contains("address already in use")) {
                    throw new IllegalStateException("docker-registry on 127.0.0.1:" + port + " " + failure
                            + "; " + log + ":\n" + lastLog);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String config(Path dir, int port, boolean auth) {
        StringBuilder yml = new StringBuilder()
                .append("version: 0.1\n")
                .append("log:\n")
                .append("  level: warn\n")
                .append("storage:\n")
                .append("  filesystem:\n")
                .append("    rootdirectory: ").append(quote(dir.resolve("storage").toAbsolutePath().toString())).append('\n')
                .append("  delete:\n")
                .append("    enabled: true\n")
                .append("http:\n")
                .append("  addr: 127.0.0.1:").append(port).append('\n')
                // A fixed secret keeps the log free of the "No HTTP secret provided" warning; one instance, no load balancer.
                .append("  secret: crisp-test-registry-secret\n");
        if (auth) {
            yml.append("auth:\n")
                    .append("  htpasswd:\n")
                    .append("    realm: ").append(REALM).append('\n')
                    .append("    path: ").append(quote(dir.resolve("htpasswd").toAbsolutePath().toString())).append('\n');
        }
        return yml.toString();
    }

    private static String quote(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    private static void writeHtpasswd(Path dir, String user, String password) throws IOException {
        Path out = dir.resolve("htpasswd.out");
        Process p = new ProcessBuilder("htpasswd", "-Bbn", user, password)
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("htpasswd did not finish in 20 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IllegalStateException("interrupted while running htpasswd", e);
        }
        String text = Files.readString(out);
        Files.delete(out);
        String line = text.strip();
        if (p.exitValue() != 0 || !line.startsWith(user + ":$2")) {
            throw new IllegalStateException("htpasswd -Bbn failed (exit " + p.exitValue() + "): " + text);
        }
        Files.writeString(dir.resolve("htpasswd"), line + "\n");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Null when {@code GET /v2/} answers 200 or 401, else why not. */
    private static String awaitReady(Process process, HttpClient http, int port) {
        HttpRequest ping = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/"))
                .timeout(Duration.ofSeconds(2)).GET().build();
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (true) {
            if (!process.isAlive()) {
                return "exited with status " + process.exitValue() + " before answering";
            }
            try {
                int status = http.send(ping, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200 || status == 401) {
                    return null;
                }
            } catch (IOException notYet) {
                // connection refused until it listens
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "start interrupted";
            }
            if (System.nanoTime() > deadline) {
                return "did not answer GET /v2/ with 200 or 401 within " + STARTUP.toSeconds() + " s";
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "start interrupted";
            }
        }
    }

    private static String readLog(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log) : "(no log)";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    private static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** {@code 127.0.0.1:PORT}, the registry part of an image reference. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    /** {@code http://127.0.0.1:PORT/}. */
    public URI base() {
        return URI.create("http://" + host() + "/");
    }

    public int port() {
        return port;
    }

    /** The directory holding config.yml, registry.log, htpasswd and storage/. */
    public Path dir() {
        return dir;
    }

    /** The registry's output so far, for failure messages. */
    public String log() {
        return readLog(dir.resolve("registry.log"));
    }

    /** {@code "Basic ..."} for the configured user, or null for an open registry. */
    public String authorization() {
        return authorization;
    }

    /**
     * Uploads {@code content} as a blob of {@code repository} (POST an upload, then a monolithic PUT with the digest)
     * and returns its digest {@code sha256:<hex>}. Uploading a blob the registry already has is harmless.
     */
    public String pushBlob(String repository, byte[] content) {
        String digest = sha256(content);
        HttpResponse<String> post = send(request("v2/" + repository + "/blobs/uploads/")
                .POST(HttpRequest.BodyPublishers.noBody()));
        expect(post, 202, "POST blob upload to " + repository);
        String location = post.headers().firstValue("Location")
                .orElseThrow(() -> new IllegalStateException("blob upload answered 202 without Location"));
        URI upload = base().resolve(location);
        String query = "digest=" + URLEncoder.encode(digest, StandardCharsets.UTF_8);
        URI put = URI.create(upload + (upload.getRawQuery() == null ? "?" : "&") + query);
        HttpResponse<String> done = send(authorized(HttpRequest.newBuilder(put))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(content)));
        expect(done, 201, "PUT blob " + digest + " to " + repository);
        return digest;
    }

    /**
     * Puts {@code manifest} as {@code repository:reference} (a tag or its digest) with {@code Content-Type: mediaType}
     * and returns the manifest digest, the sha256 of exactly these bytes. Blobs and, for an index, child manifests
     * must be pushed first.
     */
    public String pushManifest(String repository, String reference, String mediaType, byte[] manifest) {
        String digest = sha256(manifest);
        HttpResponse<String> put = send(request("v2/" + repository + "/manifests/" + reference)
                .header("Content-Type", mediaType)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)));
        expect(put, 201, "PUT manifest " + repository + ":" + reference);
        String served = put.headers().firstValue("Docker-Content-Digest").orElse(digest);
        if (!served.equals(digest)) {
            throw new IllegalStateException("registry computed " + served + " for a manifest whose sha256 is " + digest);
        }
        return digest;
    }

    private HttpRequest.Builder request(String path) {
        return authorized(HttpRequest.newBuilder(base().resolve(path)));
    }

    private HttpRequest.Builder authorized(HttpRequest.Builder builder) {
        builder.timeout(Duration.ofSeconds(60));
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return builder;
    }

    private HttpResponse<String> send(HttpRequest.Builder builder) {
        HttpRequest request = builder.build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed; registry log:\n" + log(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during " + request.method() + " " + request.uri(), e);
        }
    }

    private void expect(HttpResponse<String> response, int status, String what) {
        if (response.statusCode() != status) {
            throw new IllegalStateException(what + ": expected " + status + ", got " + response.statusCode()
                    + " " + response.body() + "; registry log:\n" + log());
        }
    }

    /** {@code sha256:<hex>} of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops the registry: SIGTERM, SIGKILL after 5 s, and waits for it to be gone. Idempotent. */
    @Override
    public void close() {
        stop(process);
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to; nothing to remove
        }
    }

    @Override
    public String toString() {
        return "TestRegistry[" + host() + (authorization != null ? ", basic auth" : "") + ", " + dir + "]";
    }
}
