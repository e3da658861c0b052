package io.crisp.core.image.registry.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.image.testing.TestPki;
import io.crisp.spi.BackendException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** certs.d directories with files made by openssl: what is used, what is refused and how the refusal reads. */
final class CertsDirsTest {
    @TempDir
    Path dir;

    private Path hostDir(String certsDir, String host) throws Exception {
        return Files.createDirectories(dir.resolve(certsDir).resolve(host));
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", command) + ": " + out);
    }

    @Test
    void theFirstDirectoryWithTheHostIsUsedAndContextsAreCachedByContent() throws Exception {
        TestPki pki = new TestPki(dir.resolve("pki"));
        pki.ca("ca");
        Files.copy(pki.cert("ca"), hostDir("second", "reg.example:5000").resolve("ca.crt"));
        List<Path> dirs = List.of(dir.resolve("first"), dir.resolve("second"));
        CertsDirs certs = new CertsDirs();
        assertTrue(certs.contextFor(dirs, "other.example").isEmpty());
        SSLContext one = certs.contextFor(dirs, "reg.example:5000").orElseThrow();
        assertSame(one, certs.contextFor(dirs, "reg.example:5000").orElseThrow(), "same files, same context");
        Files.createDirectories(dir.resolve("first/reg.example:5000"));
        assertTrue(certs.contextFor(dirs, "reg.example:5000").isEmpty(), "an empty first directory wins: nothing from the second");
        Files.copy(pki.cert("ca"), dir.resolve("first/reg.example:5000/ca.crt"));
        assertNotSame(one, certs.contextFor(dirs, "reg.example:5000").orElseThrow(), "other files, a new context");
    }

    @Test
    void clientPairsInPkcs8AndPkcs1AreReadAndBrokenFilesAreNamed() throws Exception {
        TestPki pki = new TestPki(dir.resolve("pki"));
        pki.ca("ca");
        pki.client("node", "ca");
        Path host = hostDir("certs", "reg.example");
        CertsDirs certs = new CertsDirs();
        List<Path> dirs = List.of(dir.resolve("certs"));

        Files.copy(pki.cert("node"), host.resolve("node.cert"));
        BackendException noKey = assertThrows(BackendException.class, () -> certs.contextFor(dirs, "reg.example"));
        assertEquals(BackendException.Kind.FAILED_PRECONDITION, noKey.kind());
        assertEquals("TLS file " + host.resolve("node.cert") + " is a client certificate without its key node.key"
                + " (a CA certificate must be named *.crt, not *.cert)", noKey.getMessage());

        Files.copy(pki.key("node"), host.resolve("node.key"));
        assertTrue(certs.contextFor(dirs, "reg.example").isPresent());

        // An RSA pair whose key is PKCS#1 ("BEGIN RSA PRIVATE KEY"), as older OpenSSL wrote them.
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.resolve("rsa.pk8").toString(),
                "-out", host.resolve("rsa.cert").toString(), "-days", "1", "-subj", "/CN=rsa");
        run("openssl", "rsa", "-traditional", "-in", dir.resolve("rsa.pk8").toString(), "-out", host.resolve("rsa.key").toString());
        assertTrue(Files.readString(host.resolve("rsa.key")).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
        assertTrue(certs.contextFor(dirs, "reg.example").isPresent());

        Files.copy(pki.key("ca"), host.resolve("orphan.key"));
        BackendException orphan = assertThrows(BackendException.class, () -> certs.contextFor(dirs, "reg.example"));
        assertEquals("TLS file " + host.resolve("orphan.key") + " is a client key without its certificate orphan.cert", orphan.getMessage());
        Files.delete(host.resolve("orphan.key"));

        run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", dir.resolve("sec1.key").toString());
        Files.copy(dir.resolve("sec1.key"), host.resolve("node.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        BackendException sec1 = assertThrows(BackendException.class, () -> certs.contextFor(dirs, "reg.example"));
        assertTrue(sec1.getMessage().startsWith("TLS file " + host.resolve("node.key") + " holds a \"EC PRIVATE KEY\" block;"
                + " convert it to PKCS#8 with openssl pkcs8 -topk8 -nocrypt"), sec1.getMessage());

        Files.writeString(host.resolve("node.key"), "not a key");
        BackendException junk = assertThrows(BackendException.class, () -> certs.contextFor(dirs, "reg.example"));
        assertEquals("TLS file " + host.resolve("node.key") + " is not a PEM private key", junk.getMessage());
    }
}
