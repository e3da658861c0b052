package io.crisp.core.image.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.image.ref.RegistryCredentials;
import io.crisp.core.image.testing.TestCredentialHelper;
import io.crisp.core.image.testing.TestCredentialHelper.Mode;
import io.crisp.spi.BackendException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real helper program (a bash script) run as crisp runs every helper. */
final class CredentialHelperTest {
    private static final String SECRET = "helper-s3cret-7f3a";
    private static final String REGISTRY = "registry.example:5000";

    @TempDir
    Path dir;

    private TestCredentialHelper script;

    @BeforeEach
    void write() {
        script = TestCredentialHelper.create(dir.resolve("bin"), "crisptest", "alice", SECRET);
    }

    private CredentialHelper helper(Duration timeout) {
        return new CredentialHelper("crisptest", "credHelpers of /test/auth.json", timeout,
                List.of(dir.resolve("empty"), dir.resolve("bin")));
    }

    private Optional<RegistryCredentials> get() {
        return helper(Duration.ofSeconds(20)).get(REGISTRY, REGISTRY);
    }

    private BackendException failure(Mode mode) {
        script.mode(mode);
        BackendException e = assertThrows(BackendException.class, this::get);
        assertTrue(e.getMessage().contains("docker-credential-crisptest"), "names the helper: " + e.getMessage());
        assertTrue(e.getMessage().contains("credHelpers of /test/auth.json"), "says where it was configured: " + e.getMessage());
        assertTrue(e.getMessage().contains(REGISTRY), "names the registry: " + e.getMessage());
        assertFalse(e.getMessage().contains(SECRET), "never the secret: " + e.getMessage());
        assertFalse(String.valueOf(e.getCause()).contains(SECRET), "nor in the cause");
        return e;
    }

    @Test
    void answersUserAndSecretAndIsAskedWithTheServerUrlOnStdin() {
        RegistryCredentials credentials = get().orElseThrow();
        assertEquals(Optional.of("alice"), credentials.username());
        assertEquals(Optional.of(SECRET), credentials.password());
        assertEquals(List.of(REGISTRY), script.calls(), "the server URL is what the helper read on stdin");
        assertFalse(credentials.toString().contains(SECRET), credentials.toString());
    }

    @Test
    void theTokenUserNameMakesTheSecretAnIdentityToken() {
        script.mode(Mode.TOKEN);
        RegistryCredentials credentials = get().orElseThrow();
        assertEquals(Optional.of(SECRET), credentials.identityToken());
        assertEquals(Optional.empty(), credentials.username(), "<token> is not a user name");
        assertEquals(Optional.empty(), credentials.password(), "an identity token is never a password");
    }

    @Test
    void credentialsNotFoundMeansNone() {
        script.mode(Mode.NOT_FOUND);
        assertEquals(Optional.empty(), get());
    }

    @Test
    void aFailingHelperIsUnavailableWithItsErrorText() {
        BackendException e = failure(Mode.FAIL);
        assertEquals(BackendException.Kind.UNAVAILABLE, e.kind());
        assertTrue(e.getMessage().contains("exited with status 3: the keyring is locked"), e.getMessage());
    }

    @Test
    void theOutputOfAFailedRunIsNotQuotedWhenItLooksLikeAnAnswer() {
        BackendException e = failure(Mode.FAIL_AFTER_ANSWER);
        assertTrue(e.getMessage().contains("exited with status 1"), e.getMessage());
        assertTrue(e.getMessage().contains("not shown"), e.getMessage());
    }

    @Test
    void textThatIsNotJsonIsRefusedWithoutQuotingIt() {
        BackendException e = failure(Mode.GARBAGE);
        assertEquals(BackendException.Kind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().contains("not JSON"), e.getMessage());
    }

    @Test
    void aTruncatedAnswerIsRefusedWithoutQuotingIt() {
        BackendException e = failure(Mode.TRUNCATED);
        assertTrue(e.getMessage().contains("not JSON"), e.getMessage());
    }

    @Test
    void aHangingHelperIsKilledWithItsChildren() {
        script.mode(Mode.HANG);
        BackendException e = assertThrows(BackendException.class, () -> helper(Duration.ofSeconds(2)).get(REGISTRY, REGISTRY));
        assertEquals(BackendException.Kind.UNAVAILABLE, e.kind());
        assertTrue(e.getMessage().contains("did not answer within 2s (credential_helper_timeout)"), e.getMessage());
        long[] pids = script.hangPids().orElseThrow(() -> new AssertionError("the helper did not start its child"));
        assertTrue(TestCredentialHelper.gone(pids[1], 10_000), "the helper's child " + pids[1] + " was killed and reaped");
        assertTrue(TestCredentialHelper.gone(pids[0], 10_000), "the helper " + pids[0] + " was killed and reaped");
    }

    @Test
    void aMissingProgramNamesThePathSearched() {
        BackendException e = assertThrows(BackendException.class, () -> new CredentialHelper("absent", "credsStore of /test/auth.json",
                Duration.ofSeconds(5), List.of(dir.resolve("bin"))).get(REGISTRY, REGISTRY));
        assertEquals(BackendException.Kind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().contains("no executable docker-credential-absent in the daemon's PATH (" + dir.resolve("bin") + ")"),
                e.getMessage());
    }

    @Test
    void thePathKeepsAbsoluteDirectoriesOnly() {
        assertEquals(List.of(Path.of("/a"), Path.of("/b/c")), CredentialHelper.searchPath("/a::relative:/b/c"));
        assertTrue(CredentialHelper.searchPath(null).contains(Path.of("/usr/bin")));
    }

    @Test
    void shownTextIsOneLineAndNeverJson() {
        assertEquals(": first", CredentialHelper.shown("first\nsecond", "err"));
        assertEquals(": last", CredentialHelper.shown("", "one\nlast"));
        assertEquals(" and printed nothing", CredentialHelper.shown("", ""));
        assertTrue(CredentialHelper.shown("{\"Secret\":\"x\"}", "").contains("not shown"));
        assertEquals(2 + 200 + 3, CredentialHelper.shown("x".repeat(500), "").length());
    }
}
