package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.image.testing.ServingRegistry;
import io.crisp.core.image.testing.TestImages;
import io.crisp.core.image.testing.TestPki;
import io.crisp.core.image.testing.TestRegistry;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.PullImageRequest;
import io.crisp.cri.v1.RemoveImageRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-registry TLS from certs.d through a real daemon: Debian's docker-registry serving TLS with a CA that openssl
 * made for the test, with and without client-certificate auth, and as a mirror with a CA of its own.
 */
final class RegistryTlsIT {
    @TempDir
    Path dir;

    private static PullImageRequest pull(String image) {
        return PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private DaemonProcess daemon(String registriesConf) throws IOException {
        Files.writeString(dir.resolve("registries.conf"), registriesConf);
        DaemonProcess daemon = new DaemonProcess(dir.resolve("daemon"));
        daemon.writeConfig("[image]\nregistries_conf = \"" + dir.resolve("registries.conf") + "\"\n"
                + "certs_dirs = [\"" + dir.resolve("containers-certs.d") + "\", \"" + dir.resolve("docker-certs.d") + "\"]\n"
                + "image_pull_progress_timeout = \"20s\"\n[runtimes.runc]\nplugin = \"runc\"\n");
        return daemon;
    }

    /** Copies {@code file} into {@code <certsDir>/<host>/<name>}. */
    private Path install(String certsDir, String host, Path file, String name) throws IOException {
        Path hostDir = dir.resolve(certsDir).resolve(host);
        Files.createDirectories(hostDir);
        return Files.copy(file, hostDir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }

    private static StatusRuntimeException failedPull(DaemonProcess daemon, String image) {
        return assertThrows(StatusRuntimeException.class, () -> daemon.client().images().pullImage(pull(image)));
    }

    @Test
    void certsDirCaAndClientCertificatesAreUsedAndBadFilesAreNamed() throws Exception {
        TestPki pki = new TestPki(dir.resolve("pki"));
        pki.ca("registry-ca");
        pki.ca("other-ca");
        pki.ca("client-ca");
        pki.server("registry", "registry-ca", "127.0.0.1");
        pki.client("node", "client-ca");
        pki.client("stranger", "client-ca");
        String open = "127.0.0.1:" + freePort();
        String guarded = "127.0.0.1:" + freePort();
        try (TestRegistry source = TestRegistry.start(dir.resolve("source"));
             ServingRegistry tls = ServingRegistry.start(source, dir.resolve("tls"),
                     ServingRegistry.Options.tls(open, pki.cert("registry"), pki.key("registry")));
             ServingRegistry mtls = ServingRegistry.start(source, dir.resolve("mtls"),
                     ServingRegistry.Options.tls(guarded, pki.cert("registry"), pki.key("registry"))
                             .requiringClientCertsFrom(pki.cert("client-ca")));
             DaemonProcess daemon = daemon("").start()) {
            TestImages.BuiltImage image = TestImages.pushOci(source, "tls/busybox", "1");

            // No certs.d directory for the host: the system trust does not know the test CA.
            StatusRuntimeException untrusted = failedPull(daemon, open + "/tls/busybox:1");
            assertEquals(Status.Code.UNAVAILABLE, untrusted.getStatus().getCode());
            assertTrue(untrusted.getStatus().getDescription().contains("TLS handshake with " + open + " failed")
                    && untrusted.getStatus().getDescription().contains("certs.d"), untrusted.getStatus().getDescription());

            // A wrong CA in the first directory: still refused, and the second directory is not consulted.
            install("containers-certs.d", open, pki.cert("other-ca"), "ca.crt");
            install("docker-certs.d", open, pki.cert("registry-ca"), "ca.crt");
            StatusRuntimeException wrongCa = failedPull(daemon, open + "/tls/busybox:1");
            assertTrue(wrongCa.getStatus().getDescription().contains("TLS handshake"), wrongCa.getStatus().getDescription());

            // The right CA (read on the next pull, no reload): the pull succeeds.
            install("containers-certs.d", open, pki.cert("registry-ca"), "ca.crt");
            assertEquals(image.config().digest(), daemon.client().images().pullImage(pull(open + "/tls/busybox:1")).getImageRef());

            // Only the docker directory has the host: it is used.
            install("docker-certs.d", guarded, pki.cert("registry-ca"), "ca.crt");
            StatusRuntimeException noClientCert = failedPull(daemon, guarded + "/tls/busybox:1");
            assertEquals(Status.Code.UNAVAILABLE, noClientCert.getStatus().getCode());
            assertTrue(noClientCert.getStatus().getDescription().contains("client certificate"), noClientCert.getStatus().getDescription());

            // A key that is not the certificate's: FAILED_PRECONDITION naming both files.
            Path cert = install("docker-certs.d", guarded, pki.cert("node"), "node.cert");
            Path key = install("docker-certs.d", guarded, pki.key("stranger"), "node.key");
            StatusRuntimeException mismatch = failedPull(daemon, guarded + "/tls/busybox:1");
            assertEquals(Status.Code.FAILED_PRECONDITION, mismatch.getStatus().getCode());
            assertEquals("client key " + key + " does not match client certificate " + cert, mismatch.getStatus().getDescription());

            // A CA file that is not a certificate: named, never a silent fall back.
            Path junk = install("docker-certs.d", guarded, pki.key("node"), "extra.crt");
            install("docker-certs.d", guarded, pki.key("node"), "node.key");
            StatusRuntimeException badCa = failedPull(daemon, guarded + "/tls/busybox:1");
            assertEquals(Status.Code.FAILED_PRECONDITION, badCa.getStatus().getCode());
            assertTrue(badCa.getStatus().getDescription().startsWith("TLS file " + junk + " is not a PEM or DER X.509 certificate"),
                    badCa.getStatus().getDescription());
            Files.delete(junk);

            daemon.client().images().removeImage(RemoveImageRequest.newBuilder()
                    .setImage(ImageSpec.newBuilder().setImage(open + "/tls/busybox:1")).build());
            assertEquals(image.config().digest(), daemon.client().images().pullImage(pull(guarded + "/tls/busybox:1")).getImageRef());
            assertTrue(mtls.log().contains("/v2/tls/busybox/blobs/" + image.layers().get(0).digest()), "the layer came from the mTLS registry");
        }
    }

    @Test
    void aMirrorUsesItsOwnCertsDirectory() throws Exception {
        TestPki pki = new TestPki(dir.resolve("pki"));
        pki.ca("mirror-ca");
        pki.server("mirror", "mirror-ca", "127.0.0.1");
        String mirror = "127.0.0.1:" + freePort();
        String origin = "127.0.0.1:" + freePort(); // nothing listens: only the mirror can serve
        try (TestRegistry source = TestRegistry.start(dir.resolve("source"));
             ServingRegistry tls = ServingRegistry.start(source, dir.resolve("mirror"),
                     ServingRegistry.Options.tls(mirror, pki.cert("mirror"), pki.key("mirror")));
             DaemonProcess daemon = daemon("""
                     [[registry]]
                     location = "%s"
                     [[registry.mirror]]
                     location = "%s"
                     """.formatted(origin, mirror)).start()) {
            TestImages.BuiltImage image = TestImages.pushOci(source, "mirrored/busybox", "2");
            String ref = origin + "/mirrored/busybox:2";
            StatusRuntimeException without = failedPull(daemon, ref);
            assertEquals(Status.Code.UNAVAILABLE, without.getStatus().getCode(), without.getStatus().getDescription());
            assertTrue(daemon.logs().contains("Mirror " + mirror + " failed") && daemon.logs().contains("TLS handshake with " + mirror),
                    daemon.logs());

            install("containers-certs.d", mirror, pki.cert("mirror-ca"), "ca.crt");
            assertEquals(image.config().digest(), daemon.client().images().pullImage(pull(ref)).getImageRef());
            assertTrue(tls.log().contains("/v2/mirrored/busybox/manifests/2"), tls.log());
        }
    }
}
