package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.image.testing.TestCredentialHelper;
import io.crisp.core.image.testing.TestCredentialHelper.Mode;
import io.crisp.core.image.testing.TestImages;
import io.crisp.core.image.testing.TestRegistry;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.PullImageRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Credential helpers named by the daemon's auth file, run for real: a bash helper
 * {@code docker-credential-crisptest} in a directory on the daemon's PATH answers with the password
 * of Debian's docker-registry behind htpasswd basic auth, and pulls go through the daemon's socket.
 */
final class CredentialHelperIT {
    private static final String USER = "helperuser";
    private static final String SECRET = "Helper-S3cret-9d41e";

    @TempDir
    Path dir;

    private static PullImageRequest pull(String image) {
        return PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build();
    }

    private TestCredentialHelper helper() {
        return TestCredentialHelper.create(dir.resolve("helpers"), "crisptest", USER, SECRET);
    }

    /** A daemon whose PATH starts with the helpers' directory, reading {@code auth.json} and {@code registries.conf} of the test. */
    private DaemonProcess daemon(TestRegistry registry, String extraRegistries) throws IOException {
        Files.writeString(dir.resolve("registries.conf"), """
                [[registry]]
                location = "%s"
                insecure = true
                %s
                """.formatted(registry.host(), extraRegistries));
        DaemonProcess daemon = new DaemonProcess(dir.resolve("daemon"));
        daemon.writeConfig("log_level = \"debug\"\n[image]\nregistries_conf = \"" + dir.resolve("registries.conf") + "\"\n"
                + "auth_file = \"" + dir.resolve("auth.json") + "\"\ncredential_helper_timeout = \"2s\"\n"
                + "image_pull_progress_timeout = \"10s\"\n[runtimes.runc]\nplugin = \"runc\"\n");
        return daemon.withEnv("PATH", dir.resolve("helpers") + ":" + System.getenv("PATH"));
    }

    private void authFile(String json) throws IOException {
        Files.writeString(dir.resolve("auth.json"), json);
    }

    @Test
    void credHelpersCredsStoreAndMirrorsGetTheSecretFromTheHelper() throws IOException {
        TestCredentialHelper helper = helper();
        try (TestRegistry registry = TestRegistry.startWithBasicAuth(dir.resolve("registry"), USER, SECRET)) {
            TestImages.BuiltImage image = TestImages.pushOci(registry, "private/busybox", "1");
            TestImages.BuiltImage mirrored = TestImages.pushOci(registry, "mirror/library/busybox", "1.36");
            String mirror = """
                    [[registry]]
                    prefix = "docker.io"
                    location = "docker.io"
                    [[registry.mirror]]
                    location = "%s/mirror"
                    insecure = true
                    """.formatted(registry.host());
            try (DaemonProcess daemon = daemon(registry, mirror).start()) {
                String name = registry.host() + "/private/busybox:1";
                authFile("{\"credHelpers\": {\"" + registry.host() + "\": \"crisptest\"}}");
                assertEquals(image.config().digest(), daemon.client().images().pullImage(pull(name)).getImageRef());
                assertEquals(List.of(registry.host()), helper.calls(), "asked once, with the registry's host:port on stdin");

                authFile("{\"auths\": {\"" + registry.host() + "\": {}}, \"credsStore\": \"crisptest\"}");
                assertEquals(image.config().digest(), daemon.client().images().pullImage(pull(name)).getImageRef());
                assertEquals(2, helper.calls().size(), "credsStore asked: " + helper.calls());

                // docker.io names go to the mirror on the registry's host: the helper is asked for the mirror.
                authFile("{\"credHelpers\": {\"" + registry.host() + "\": \"crisptest\", \"docker.io\": \"nosuchhelper\"}}");
                assertEquals(mirrored.config().digest(), daemon.client().images().pullImage(pull("busybox:1.36")).getImageRef());
                assertEquals(List.of(registry.host(), registry.host(), registry.host()), helper.calls());

                String log = daemon.logs();
                assertTrue(log.contains("Credentials for " + registry.host() + ": docker-credential-crisptest"),
                        "the debug log says where the credentials came from (so the next check reads debug output):\n" + log);
                assertFalse(log.contains(SECRET), "no secret in the daemon's debug log");
            }
        }
    }

    @Test
    void aHelperWithoutCredentialsMeansAnAnonymousPull() throws IOException {
        TestCredentialHelper helper = helper().mode(Mode.NOT_FOUND);
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"))) {
            TestImages.BuiltImage image = TestImages.pushOci(registry, "open/busybox", "1");
            authFile("{\"credHelpers\": {\"" + registry.host() + "\": \"crisptest\"}}");
            try (DaemonProcess daemon = daemon(registry, "").start()) {
                assertEquals(image.config().digest(), daemon.client().images().pullImage(pull(registry.host() + "/open/busybox:1")).getImageRef());
                assertEquals(List.of(registry.host()), helper.calls());
            }
        }
    }

    @Test
    void failingHangingAndGarbageHelpersAreClearErrorsWithoutTheSecret() throws IOException {
        TestCredentialHelper helper = helper();
        try (TestRegistry registry = TestRegistry.startWithBasicAuth(dir.resolve("registry"), USER, SECRET)) {
            TestImages.pushOci(registry, "private/busybox", "1");
            String name = registry.host() + "/private/busybox:1";
            authFile("{\"credHelpers\": {\"" + registry.host() + "\": \"crisptest\"}}");
            try (DaemonProcess daemon = daemon(registry, "").start()) {
                String failed = refused(daemon, helper.mode(Mode.FAIL), name, registry, Status.Code.UNAVAILABLE);
                assertTrue(failed.contains("exited with status 3: the keyring is locked"), failed);

                String answeredThenFailed = refused(daemon, helper.mode(Mode.FAIL_AFTER_ANSWER), name, registry, Status.Code.UNAVAILABLE);
                assertTrue(answeredThenFailed.contains("not shown"), answeredThenFailed);

                String garbage = refused(daemon, helper.mode(Mode.GARBAGE), name, registry, Status.Code.FAILED_PRECONDITION);
                assertTrue(garbage.contains("not JSON"), garbage);
                refused(daemon, helper.mode(Mode.TRUNCATED), name, registry, Status.Code.FAILED_PRECONDITION);

                String hung = refused(daemon, helper.mode(Mode.HANG), name, registry, Status.Code.UNAVAILABLE);
                assertTrue(hung.contains("did not answer within 2s (credential_helper_timeout); it was killed"), hung);
                long[] pids = helper.hangPids().orElseThrow(() -> new AssertionError("the hanging helper never ran"));
                assertTrue(TestCredentialHelper.gone(pids[1], 10_000), "the helper's child " + pids[1] + " is gone");
                assertTrue(TestCredentialHelper.gone(pids[0], 10_000), "the helper " + pids[0] + " is gone");

                // An identity token cannot answer a Basic challenge: said so, and never sent as a password.
                String token = refused(daemon, helper.mode(Mode.TOKEN), name, registry, Status.Code.PERMISSION_DENIED);
                assertTrue(token.contains("identity token"), token);
                assertFalse(registry.log().contains(SECRET), "the registry never saw the token");

                authFile("{\"credsStore\": \"absent\"}");
                String missing = assertThrows(StatusRuntimeException.class, () -> daemon.client().images().pullImage(pull(name)))
                        .getStatus().getDescription();
                assertTrue(missing.contains("no executable docker-credential-absent in the daemon's PATH (" + dir.resolve("helpers")), missing);

                // And after all that, a working helper still pulls.
                authFile("{\"credHelpers\": {\"" + registry.host() + "\": \"crisptest\"}}");
                helper.mode(Mode.OK);
                assertTrue(daemon.client().images().pullImage(pull(name)).getImageRef().startsWith("sha256:"));

                String log = daemon.logs();
                assertTrue(log.contains("docker-credential-crisptest"), "the failures are in the log");
                assertFalse(log.contains(SECRET), "no secret anywhere in the daemon's debug log");
            }
        }
    }

    /** Pulls {@code name}, expects {@code code}, and checks the description names helper and registry but not the secret. */
    private static String refused(DaemonProcess daemon, TestCredentialHelper helper, String name, TestRegistry registry, Status.Code code) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> daemon.client().images().pullImage(pull(name)));
        String description = String.valueOf(e.getStatus().getDescription());
        assertEquals(code, e.getStatus().getCode(), description);
        assertTrue(description.contains(registry.host()), "names the registry: " + description);
        if (code != Status.Code.PERMISSION_DENIED) {
            assertTrue(description.contains("docker-credential-crisptest"), "names the helper: " + description);
        }
        assertFalse(description.contains(SECRET), "never the secret: " + description);
        assertFalse(e.toString().contains(SECRET));
        return description;
    }
}
