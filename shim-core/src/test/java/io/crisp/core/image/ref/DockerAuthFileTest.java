package io.crisp.core.image.ref;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.config.ConfigException;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

final class DockerAuthFileTest {
    private static final String SECRET = "s3cr3t-Pa55";

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("config.json");
    }

    private DockerAuthFile load(String json) throws IOException {
        Files.writeString(file(), json);
        return DockerAuthFile.load(file());
    }

    private String fail(String json) throws IOException {
        Files.writeString(file(), json);
        return assertThrows(ConfigException.class, () -> DockerAuthFile.load(file())).getMessage();
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static RegistryCredentials basic(String username, String password) {
        return new RegistryCredentials(Optional.of(username), Optional.of(password), Optional.empty(), Optional.empty());
    }

    private DockerAuthFile single(String key) throws IOException {
        return load("{\"auths\": {\"" + key + "\": {\"auth\": \"" + base64("alice:" + SECRET) + "\"}}}");
    }

    // ---- key spellings ----

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "quay.io, quay.io",
            "QUAY.io, quay.io",
            "localhost:5000, localhost:5000",
            "https://quay.io, quay.io",
            "https://quay.io/v1/, quay.io",
            "http://registry.local:5000/v2/, registry.local:5000",
            "https://index.docker.io/v1/, docker.io",
            "docker.io, docker.io",
            "index.docker.io, docker.io",
            "registry-1.docker.io, registry-1.docker.io",
            "quay.io/, quay.io",
    })
    void everyKeySpellingIsFoundByItsRegistry(String key, String registry) throws IOException {
        assertEquals(Optional.of(basic("alice", SECRET)), single(key).lookup(registry));
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker.io", "index.docker.io", "registry-1.docker.io", "DOCKER.IO"})
    void dockerHubIsFoundUnderEachOfItsNames(String registry) throws IOException {
        assertEquals(Optional.of(basic("alice", SECRET)), single("https://index.docker.io/v1/").lookup(registry));
    }

    @Test
    void otherRegistriesAndOtherPortsAreNotFound() throws IOException {
        DockerAuthFile auth = single("registry.local:5000");

        assertEquals(Optional.empty(), auth.lookup("registry.local"));
        assertEquals(Optional.empty(), auth.lookup("registry.local:5001"));
        assertEquals(Optional.empty(), auth.lookup("quay.io"));
    }

    @Test
    void repositoryScopedKeysAreNotWidenedToTheRegistry() throws IOException {
        assertEquals(Optional.empty(), single("quay.io/team").lookup("quay.io"));
    }

    @Test
    void aPlainKeyWinsOverAUrlKeyForTheSameRegistry() throws IOException {
        DockerAuthFile auth = load("""
                {"auths": {
                  "docker.io": {"username": "plain", "password": "p1"},
                  "https://index.docker.io/v1/": {"username": "url", "password": "p2"}
                }}""");

        assertEquals(Optional.of(basic("plain", "p1")), auth.lookup("docker.io"));
    }

    @Test
    void anEntryWithoutCredentialsDoesNotHideAnotherSpelling() throws IOException {
        // What docker login leaves in auths when a credsStore holds the secret.
        DockerAuthFile auth = load("""
                {"credsStore": "desktop",
                 "auths": {
                  "docker.io": {},
                  "https://index.docker.io/v1/": {"auth": "%s"}
                }}""".formatted(base64("alice:" + SECRET)));

        assertEquals(Optional.of(basic("alice", SECRET)), auth.lookup("docker.io"));
    }

    // ---- credential helpers ----

    @Test
    void credHelpersAreFoundByEverySpellingOfTheirRegistry() throws IOException {
        DockerAuthFile auth = load("""
                {"credHelpers": {
                  "https://index.docker.io/v1/": "hub",
                  "Quay.io": "quay",
                  "https://quay.io": "url-loses",
                  "localhost:5000": "local",
                  "quay.io/team": "scoped-is-skipped",
                  "gcr.io": ""
                 },
                 "credsStore": "desktop"}""");
        assertEquals(Optional.of("hub"), auth.credentialHelper("registry-1.docker.io"));
        assertEquals(Optional.of("quay"), auth.credentialHelper("quay.io"));
        assertEquals(Optional.of("local"), auth.credentialHelper("LOCALHOST:5000"));
        assertEquals(Optional.empty(), auth.credentialHelper("localhost:5001"));
        assertEquals(Optional.empty(), auth.credentialHelper("gcr.io"), "an empty name means no helper");
        assertEquals(Optional.of("desktop"), auth.credentialsStore());
        assertTrue(auth.toString().contains("credsStore=desktop"), auth.toString());
    }

    @Test
    void noHelpersWhenTheFileNamesNone() throws IOException {
        DockerAuthFile auth = load("{\"auths\": {}, \"credsStore\": \"\"}");
        assertEquals(Optional.empty(), auth.credentialsStore());
        assertEquals(Optional.empty(), auth.credentialHelper("quay.io"));
        assertEquals(Optional.empty(), DockerAuthFile.empty().credentialsStore());
    }

    @ParameterizedTest
    @ValueSource(strings = {"../../bin/sh", "-rf", "a b", "/usr/bin/x"})
    void aHelperNameThatIsNotAPlainProgramNameIsRefused(String name) throws IOException {
        String message = fail("{\"credHelpers\": {\"quay.io\": \"" + name + "\"}}");
        assertTrue(message.contains("credHelpers.\"quay.io\""), message);
        assertTrue(message.contains("not a credential helper name"), message);
        assertTrue(fail("{\"credsStore\": \"" + name + "\"}").contains("key \"credsStore\""));
    }

    @Test
    void helperKeysOfTheWrongTypeAreRefused() throws IOException {
        assertTrue(fail("{\"credHelpers\": [\"x\"]}").contains("key \"credHelpers\": expected an object"));
        assertTrue(fail("{\"credsStore\": 5}").contains("expected a credential helper name (a string), got a JSON number"));
    }

    // ---- entries ----

    @Test
    void readsEveryCredentialField() throws IOException {
        DockerAuthFile auth = load("""
                {"auths": {
                  "a.example.com": {"username": "bob", "password": "pw"},
                  "b.example.com": {"identitytoken": "refresh-token"},
                  "c.example.com": {"registrytoken": "bearer-token"},
                  "d.example.com": {"auth": "%s", "email": "x@example.com", "serveraddress": "d.example.com"}
                },
                 "HttpHeaders": {"User-Agent": "x"},
                 "psFormat": "table"}""".formatted(base64("carol:with:colons")));

        assertEquals(Optional.of(basic("bob", "pw")), auth.lookup("a.example.com"));
        assertEquals(Optional.of(new RegistryCredentials(Optional.empty(), Optional.empty(), Optional.of("refresh-token"), Optional.empty())),
                auth.lookup("b.example.com"));
        assertEquals(Optional.of(new RegistryCredentials(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of("bearer-token"))),
                auth.lookup("c.example.com"));
        assertEquals(Optional.of(basic("carol", "with:colons")), auth.lookup("d.example.com"));
    }

    @Test
    void aMissingFileMeansNoCredentials() {
        DockerAuthFile auth = DockerAuthFile.load(dir.resolve("absent.json"));

        assertEquals(Optional.empty(), auth.lookup("docker.io"));
        assertEquals(Optional.of(dir.resolve("absent.json")), auth.file());
    }

    @Test
    void emptyHasNoCredentials() {
        assertEquals(Optional.empty(), DockerAuthFile.empty().lookup("docker.io"));
        assertEquals(Optional.empty(), DockerAuthFile.empty().file());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{\"auths\": {}}", "{\"auths\": null}", ""})
    void aFileWithoutEntriesMeansNoCredentials(String json) throws IOException {
        assertEquals(Optional.empty(), load(json).lookup("docker.io"));
    }

    // ---- malformed files ----

    @Test
    void malformedJsonNamesTheFileAndPositionButNoSecret() throws IOException {
        String message = fail("{\"auths\": {\"quay.io\": {\"auth\": " + SECRET + "}}}");

        assertTrue(message.startsWith(file() + ": not valid JSON (line 1, column "), message);
        assertFalse(message.contains(SECRET), message);
    }

    @Test
    void malformedJsonDoesNotChainJacksonsMessage() throws IOException {
        Files.writeString(file(), "{\"auths\": {\"quay.io\": {\"auth\": " + SECRET + "}}}");

        ConfigException e = assertThrows(ConfigException.class, () -> DockerAuthFile.load(file()));
        assertNull(e.getCause());
    }

    @Test
    void aMalformedAuthNamesTheRegistryButNotTheSecret() throws IOException {
        String notBase64 = "!!" + SECRET + "!!";

        String message = fail("{\"auths\": {\"quay.io\": {\"auth\": \"" + notBase64 + "\"}}}");

        assertEquals(file() + ": auths.\"quay.io\": field \"auth\": not valid base64; expected base64 of \"username:password\"", message);
    }

    @Test
    void anAuthWithoutColonIsRefusedWithoutTheSecret() throws IOException {
        String message = fail("{\"auths\": {\"quay.io\": {\"auth\": \"" + base64(SECRET) + "\"}}}");

        assertEquals(file() + ": auths.\"quay.io\": field \"auth\": decodes to text without ':'; expected base64 of \"username:password\"",
                message);
    }

    @Test
    void aFieldOfTheWrongTypeIsRefusedWithoutItsValue() throws IOException {
        String message = fail("{\"auths\": {\"quay.io\": {\"password\": [\"" + SECRET + "\"]}}}");

        assertEquals(file() + ": auths.\"quay.io\": field \"password\": expected a string, got a JSON array", message);
    }

    @Test
    void authsThatIsNotAnObjectIsRefused() throws IOException {
        assertEquals(file() + ": key \"auths\": expected an object keyed by registry, got a JSON array", fail("{\"auths\": []}"));
    }

    @Test
    void aTopLevelThatIsNotAnObjectIsRefused() throws IOException {
        assertEquals(file() + ": expected a JSON object with an \"auths\" object, got a JSON array", fail("[]"));
    }

    @Test
    void theFileToStringListsRegistriesOnly() throws IOException {
        String text = single("quay.io").toString();

        assertEquals("DockerAuthFile[" + file() + ", registries=[quay.io]]", text);
    }

    // ---- RegistryCredentials ----

    @Test
    void fromAuthConfigPrefersUsernameAndPassword() {
        RegistryCredentials c = RegistryCredentials.fromAuthConfig("bob", "pw", base64("alice:" + SECRET), null, null);

        assertEquals(basic("bob", "pw"), c);
    }

    @Test
    void fromAuthConfigDecodesAuthWhenUsernameAndPasswordAreEmpty() {
        assertEquals(basic("alice", SECRET), RegistryCredentials.fromAuthConfig("", "", base64("alice:" + SECRET), "", ""));
        assertEquals(basic("alice", SECRET), RegistryCredentials.fromAuthConfig(null, null, base64("alice:" + SECRET), null, null));
    }

    @Test
    void fromAuthConfigAcceptsAnAuthWithSurroundingWhitespace() {
        assertEquals(basic("alice", SECRET), RegistryCredentials.fromAuthConfig("", "", base64("alice:" + SECRET) + "\n", "", ""));
    }

    @Test
    void fromAuthConfigTreatsEmptyStringsAsAbsent() {
        RegistryCredentials c = RegistryCredentials.fromAuthConfig("", "", "", "", "");

        assertTrue(c.isEmpty());
        assertEquals(Optional.empty(), c.username());
    }

    @Test
    void fromAuthConfigKeepsTokens() {
        RegistryCredentials c = RegistryCredentials.fromAuthConfig(null, null, null, "id-token", "reg-token");

        assertEquals(Optional.of("id-token"), c.identityToken());
        assertEquals(Optional.of("reg-token"), c.registryToken());
        assertFalse(c.isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {"!!not base64!!", "c2VjcmV0"})
    void aMalformedAuthIsInvalidArgumentNamingTheFieldWithoutTheSecret(String auth) {
        BackendException e = assertThrows(BackendException.class,
                () -> RegistryCredentials.fromAuthConfig("", "", auth, "", ""));

        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().startsWith("field auth.auth: "), e.getMessage());
        assertFalse(e.getMessage().contains(auth), e.getMessage());
        assertFalse(e.getMessage().contains("secret"), e.getMessage());
    }

    @Test
    void toStringNeverShowsSecrets() {
        RegistryCredentials c = new RegistryCredentials(Optional.of("alice"), Optional.of(SECRET), Optional.of("id-" + SECRET),
                Optional.of("reg-" + SECRET));

        assertEquals("RegistryCredentials[username=alice, password=<redacted>, identityToken=<redacted>, registryToken=<redacted>]",
                c.toString());
    }

    @Test
    void toStringShowsOnlyWhatIsPresent() {
        assertEquals("RegistryCredentials[username=alice, password=<redacted>]", basic("alice", SECRET).toString());
        assertEquals("RegistryCredentials[]", RegistryCredentials.fromAuthConfig(null, null, null, null, null).toString());
        assertEquals(RegistryCredentials.anonymous(), RegistryCredentials.fromAuthConfig("", "", "", "", ""));
    }

    @Test
    void aLookedUpCredentialPrintsWithoutItsSecret() throws IOException {
        String text = single("quay.io").lookup("quay.io").orElseThrow().toString();

        assertFalse(text.contains(SECRET), text);
        assertFalse(text.contains(base64("alice:" + SECRET)), text);
    }
}
