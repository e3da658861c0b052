package io.crisp.core.image.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates for TLS tests, made by the real {@code openssl} command in a directory of the test's: a CA
 * ({@code NAME.crt}, {@code NAME.key}) and leaves it signs ({@code NAME.crt}, {@code NAME.key}, PEM, the key
 * PKCS#8 as OpenSSL 3 writes it). EC P-256 keys: quick to make on a loaded machine. Valid for two days.
 */
public final class TestPki {
    private final Path dir;

    public TestPki(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A self-signed CA named {@code name}; returns its certificate file. */
    public Path ca(String name) {
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key(name).toString(), "-out", cert(name).toString(), "-days", "2", "-subj", "/CN=" + name,
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return cert(name);
    }

    /** A server certificate for {@code ips} (subjectAltName IP entries) signed by CA {@code ca}. */
    public Path server(String name, String ca, String... ips) {
        List<String> sans = new ArrayList<>();
        for (String ip : ips) {
            sans.add("IP:" + ip);
        }
        return leaf(name, ca, "subjectAltName=" + String.join(",", sans) + "\nextendedKeyUsage=serverAuth\n");
    }

    /** A client certificate ({@code extendedKeyUsage=clientAuth}) signed by CA {@code ca}. */
    public Path client(String name, String ca) {
        return leaf(name, ca, "extendedKeyUsage=clientAuth\n");
    }

    private Path leaf(String name, String ca, String extensions) {
        Path csr = dir.resolve(name + ".csr");
        Path ext = dir.resolve(name + ".ext");
        try {
            Files.writeString(ext, extensions);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key(name).toString(),
                "-out", csr.toString(), "-subj", "/CN=" + name);
        openssl("x509", "-req", "-in", csr.toString(), "-CA", cert(ca).toString(), "-CAkey", key(ca).toString(),
                "-CAcreateserial", "-out", cert(name).toString(), "-days", "2", "-extfile", ext.toString());
        return cert(name);
    }

    public Path cert(String name) {
        return dir.resolve(name + ".crt");
    }

    public Path key(String name) {
        return dir.resolve(name + ".key");
    }

    private void openssl(String... args) {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Path out = dir.resolve("openssl.out");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("openssl did not finish in 60 s: " + command);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("openssl failed (exit " + p.exitValue() + "): " + command + "\n" + Files.readString(out));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run openssl (Debian package openssl): " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
