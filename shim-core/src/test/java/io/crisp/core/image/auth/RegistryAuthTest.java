package io.crisp.core.image.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.image.ref.DockerAuthFile;
import io.crisp.core.image.ref.RegistryCredentials;
import io.crisp.core.image.testing.TestCredentialHelper;
import io.crisp.core.image.testing.TestCredentialHelper.Mode;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which source answers for a registry, with real helper scripts: credHelpers, then auths, then credsStore. */
final class RegistryAuthTest {
    @TempDir
    Path dir;

    private TestCredentialHelper perHost;
    private TestCredentialHelper store;

    @BeforeEach
    void helpers() {
        perHost = TestCredentialHelper.create(dir.resolve("bin"), "perhost", "helper-user", "helper-secret");
        store = TestCredentialHelper.create(dir.resolve("bin"), "store", "store-user", "store-secret");
    }

    private RegistryAuth auth(String json) throws IOException {
        Path file = Files.writeString(dir.resolve("auth.json"), json);
        return new RegistryAuth(DockerAuthFile.load(file), Duration.ofSeconds(20), List.of(dir.resolve("bin")));
    }

    private static String entry(String user, String password) {
        return "{\"auth\": \"" + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)) + "\"}";
    }

    private static RegistryCredentials basic(String user, String password) {
        return new RegistryCredentials(Optional.of(user), Optional.of(password), Optional.empty(), Optional.empty());
    }

    @Test
    void aHostsHelperWinsOverItsAuthsEntryAndTheStore() throws IOException {
        RegistryAuth auth = auth("""
                {"auths": {"a.example": %s}, "credHelpers": {"a.example": "perhost"}, "credsStore": "store"}""".formatted(entry("file", "pw")));
        assertEquals(basic("helper-user", "helper-secret"), auth.forRegistry("a.example"));
        assertEquals(List.of("a.example"), perHost.calls());
        assertEquals(List.of(), store.calls());
    }

    @Test
    void aHostsHelperWithoutCredentialsMeansAnonymousNotTheAuthsEntry() throws IOException {
        perHost.mode(Mode.NOT_FOUND);
        RegistryAuth auth = auth("""
                {"auths": {"a.example": %s}, "credHelpers": {"a.example": "perhost"}, "credsStore": "store"}""".formatted(entry("file", "pw")));
        assertEquals(RegistryCredentials.anonymous(), auth.forRegistry("a.example"));
        assertEquals(List.of(), store.calls(), "credsStore is not asked either");
    }

    @Test
    void anAuthsEntryWinsOverTheStoreWhichIsNotRun() throws IOException {
        RegistryAuth auth = auth("""
                {"auths": {"a.example": %s}, "credHelpers": {"b.example": "perhost"}, "credsStore": "store"}""".formatted(entry("file", "pw")));
        assertEquals(basic("file", "pw"), auth.forRegistry("a.example"));
        assertEquals(List.of(), perHost.calls());
        assertEquals(List.of(), store.calls());
    }

    @Test
    void theStoreAnswersForRegistriesWithoutEntryOrHelper() throws IOException {
        RegistryAuth auth = auth("""
                {"auths": {"a.example": {}}, "credsStore": "store"}""");
        assertEquals(basic("store-user", "store-secret"), auth.forRegistry("A.example:443"));
        assertEquals(List.of("a.example:443"), store.calls(), "asked with host:port in lower case");
    }

    @Test
    void nothingConfiguredIsAnonymous() throws IOException {
        assertEquals(RegistryCredentials.anonymous(), auth("{}").forRegistry("a.example"));
    }

    @Test
    void answersAreKeptForOnePullOnly() throws IOException {
        String json = """
                {"credsStore": "store"}""";
        RegistryAuth pull = auth(json);
        pull.forRegistry("a.example");
        pull.forRegistry("a.example");
        assertEquals(1, store.calls().size(), "one helper run per registry and pull");
        auth(json).forRegistry("a.example");
        assertEquals(2, store.calls().size(), "the next pull asks again");
    }

    @Test
    void failuresAreNotKept() throws IOException {
        store.mode(Mode.FAIL);
        RegistryAuth pull = auth("""
                {"credsStore": "store"}""");
        assertThrows(BackendException.class, () -> pull.forRegistry("a.example"));
        store.mode(Mode.OK);
        assertEquals(basic("store-user", "store-secret"), pull.forRegistry("a.example"));
    }

    @Test
    void dockerHubIsAskedByDockersKeyThenByDockerIo() throws IOException {
        perHost.mode(Mode.NOT_FOUND);
        RegistryAuth auth = auth("""
                {"credHelpers": {"https://index.docker.io/v1/": "perhost"}}""");
        assertEquals(RegistryCredentials.anonymous(), auth.forRegistry("registry-1.docker.io"));
        assertEquals(List.of("https://index.docker.io/v1/", "docker.io"), perHost.calls());
    }

    @Test
    void aMirrorAsksForItsOwnHostAndFallsBackToTheImageRegistrysAuthsEntryOnly() throws IOException {
        RegistryAuth auth = auth("""
                {"auths": {"docker.io": %s}, "credHelpers": {"mirror.example:5000": "perhost", "docker.io": "store"}}"""
                .formatted(entry("hub", "pw")));
        assertEquals(basic("helper-user", "helper-secret"), auth.forEndpoint("mirror.example:5000", "docker.io"));
        assertEquals(List.of("mirror.example:5000"), perHost.calls());

        perHost.mode(Mode.NOT_FOUND);
        RegistryAuth next = auth("""
                {"auths": {"docker.io": %s}, "credHelpers": {"mirror.example:5000": "perhost", "docker.io": "store"}}"""
                .formatted(entry("hub", "pw")));
        assertEquals(basic("hub", "pw"), next.forEndpoint("mirror.example:5000", "docker.io"));
        assertEquals(List.of(), store.calls(), "the image registry's helper is never asked on a mirror's behalf");
    }

    @Test
    void theRegistryItselfDoesNotFallBackPastItsHelper() throws IOException {
        perHost.mode(Mode.NOT_FOUND);
        RegistryAuth auth = auth("""
                {"auths": {"docker.io": %s}, "credHelpers": {"docker.io": "perhost"}}""".formatted(entry("hub", "pw")));
        assertEquals(RegistryCredentials.anonymous(), auth.forEndpoint("registry-1.docker.io", "docker.io"));
    }

    @Test
    void aFailingHelperNamesTheFileItCameFrom() throws IOException {
        store.mode(Mode.FAIL);
        BackendException e = assertThrows(BackendException.class, () -> auth("""
                {"credsStore": "store"}""").forRegistry("a.example"));
        assertTrue(e.getMessage().contains("docker-credential-store (credsStore of " + dir.resolve("auth.json") + ") for registry a.example"),
                e.getMessage());
    }
}
