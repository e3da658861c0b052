package io.crisp.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bearer token authentication as Docker Hub, registry.k8s.io and most hosted registries use it:
 * the registry answers 401 with a challenge naming a token server, which hands out a token for the
 * repository's pull scope. Debian's registry 2.8 has no token server, so a small stand-in plays
 * both roles here; the image service is the real one.
 */
final class TokenAuthRegistryTest {
    private static final String TOKEN = "t0ken-for-crisp";

    @TempDir
    Path dir;

    private HttpServer server;
    private final Map<String, byte[]> content = new ConcurrentHashMap<>();
    private final List<String> tokenQueries = new CopyOnWriteArrayList<>();
    private final List<String> tokenForms = new CopyOnWriteArrayList<>();
    private volatile String requiredBasic;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/token", this::token);
        server.createContext("/v2/", this::registry);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    private void token(HttpExchange exchange) throws IOException {
        tokenQueries.add(exchange.getRequestURI().getRawQuery());
        if (exchange.getRequestMethod().equals("POST")) {
            tokenForms.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        }
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        if (requiredBasic != null && !requiredBasic.equals(auth)) {
            respond(exchange, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}".getBytes(), "application/json");
            return;
        }
        respond(exchange, 200, ("{\"token\":\"" + TOKEN + "\",\"expires_in\":300}").getBytes(), "application/json");
    }

    private void registry(HttpExchange exchange) throws IOException {
        if (!("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            String repo = "crisp/tok";
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"http://" + host() + "/token\",service=\"fake-registry\","
                    + "scope=\"repository:" + repo + ":pull\"");
            respond(exchange, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}".getBytes(),
                    "application/json");
            return;
        }
        String path = exchange.getRequestURI().getPath();
        byte[] body = content.get(path.substring(path.lastIndexOf('/') + 1));
        if (body == null) {
            respond(exchange, 404, new byte[0], "application/json");
            return;
        }
        respond(exchange, 200, body, path.contains("/manifests/") ? TestImages.OCI_MANIFEST : "application/octet-stream");
    }

    private static void respond(HttpExchange exchange, int code, byte[] body, String type) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private TestImages.BuiltImage publish() {
        TestImages.BuiltImage image = TestImages.busybox("crisp/tok", "1", 0, 0);
        content.put("1", image.manifest());
        content.put(image.config().digest(), image.config().bytes());
        image.layers().forEach(l -> content.put(l.digest(), l.bytes()));
        return image;
    }

    private ImageService service() throws IOException {
        Path conf = dir.resolve("registries.conf");
        Files.writeString(conf, "[[registry]]\nlocation = \"" + host() + "\"\ninsecure = true\n");
        ImageService service = new ImageService(dir.resolve("root"), () -> new ImageService.PullSettings(conf, dir.resolve("auth.json"),
                Duration.ofSeconds(5), 3, "linux/amd64"));
        service.start();
        return service;
    }

    @Test
    void anonymousPullGetsATokenForThePullScope() throws IOException {
        TestImages.BuiltImage image = publish();
        ImageRecord pulled = service().pull(host() + "/crisp/tok:1", RegistryCredentials.anonymous(), Optional.empty());
        assertEquals(image.config().digest(), pulled.id());
        assertEquals(1, tokenQueries.size(), "one token per pull scope, reused for every blob: " + tokenQueries);
        assertTrue(tokenQueries.get(0).contains("service=fake-registry"), tokenQueries.get(0));
        assertTrue(tokenQueries.get(0).contains("scope=repository%3Acrisp%2Ftok%3Apull"), tokenQueries.get(0));
    }

    @Test
    void tokenServerThatWantsCredentialsGetsThemAndRefusesWrongOnes() throws IOException {
        publish();
        requiredBasic = "Basic " + Base64.getEncoder().encodeToString("bob:right-pw".getBytes(StandardCharsets.UTF_8));
        ImageService service = service();
        BackendException refused = assertThrows(BackendException.class, () -> service.pull(host() + "/crisp/tok:1",
                RegistryCredentials.fromAuthConfig("bob", "wrong-pw", "", "", ""), Optional.empty()));
        assertEquals(BackendException.Kind.PERMISSION_DENIED, refused.kind());
        assertTrue(refused.getMessage().contains("token server " + host()), refused.getMessage());
        assertFalse(refused.getMessage().contains("wrong-pw"), "no secret in errors");
        String auth = Base64.getEncoder().encodeToString("bob:right-pw".getBytes(StandardCharsets.UTF_8));
        assertTrue(service.pull(host() + "/crisp/tok:1", RegistryCredentials.fromAuthConfig("", "", auth, "", ""), Optional.empty())
                .id().startsWith("sha256:"), "the auth field (base64 user:password) works like username and password");
    }

    @Test
    void registryTokenFromTheRequestIsUsedAsIs() throws IOException {
        TestImages.BuiltImage image = publish();
        ImageRecord pulled = service().pull(host() + "/crisp/tok:1", RegistryCredentials.fromAuthConfig("", "", "", "", TOKEN),
                Optional.empty());
        assertEquals(image.config().digest(), pulled.id());
        assertEquals(List.of(), tokenQueries, "a registry token needs no token server");
    }

    /** What a credential helper's {@code <token>} answer becomes: an OAuth2 refresh token traded at the token server. */
    @Test
    void anIdentityTokenIsTradedAsARefreshTokenNeverSentAsBasic() throws IOException {
        TestImages.BuiltImage image = publish();
        RegistryCredentials identity = new RegistryCredentials(Optional.empty(), Optional.empty(), Optional.of("refresh-me-123"), Optional.empty());
        ImageRecord pulled = service().pull(host() + "/crisp/tok:1", identity, Optional.empty());
        assertEquals(image.config().digest(), pulled.id());
        assertEquals(1, tokenForms.size(), "one POST to the token server: " + tokenForms);
        String form = tokenForms.get(0);
        assertTrue(form.contains("grant_type=refresh_token") && form.contains("refresh_token=refresh-me-123"), form);
        assertTrue(form.contains("scope=repository%3Acrisp%2Ftok%3Apull") && form.contains("service=fake-registry"), form);
    }
}
