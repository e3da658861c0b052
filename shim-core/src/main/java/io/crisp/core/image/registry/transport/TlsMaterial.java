package io.crisp.core.image.registry.transport;

import io.crisp.spi.BackendException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Builds a TLS context from one certs.d host directory: the system's trusted CAs plus each {@code *.crt}, and each
 * {@code *.cert} with the {@code *.key} of the same name as a client certificate. Keys are PEM, PKCS#8
 * ({@code BEGIN PRIVATE KEY}, what OpenSSL 3 writes) or PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}); other forms are
 * refused with the command that converts them.
 */
final class TlsMaterial {
    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    private static final char[] NO_PASSWORD = new char[0];

    private TlsMaterial() {}

    static SSLContext build(Path hostDir, List<Path> files) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int n = 0;
            for (X509Certificate ca : systemTrust().getAcceptedIssuers()) {
                trust.setCertificateEntry("system-" + n++, ca);
            }
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            int pairs = 0;
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.endsWith(".crt")) {
                    for (Certificate ca : certificates(file)) {
                        trust.setCertificateEntry("certs.d-" + n++, ca);
                    }
                } else if (name.endsWith(".cert")) {
                    Path keyFile = file.resolveSibling(name.substring(0, name.length() - ".cert".length()) + ".key");
                    if (!Files.exists(keyFile)) {
                        throw bad(file, "is a client certificate without its key " + keyFile.getFileName()
                                + " (a CA certificate must be named *.crt, not *.cert)");
                    }
                    List<Certificate> chain = certificates(file);
                    PrivateKey key = privateKey(keyFile);
                    checkPair(file, keyFile, (X509Certificate) chain.get(0), key);
                    keys.setKeyEntry("client-" + pairs++, key, NO_PASSWORD, chain.toArray(Certificate[]::new));
                } else if (name.endsWith(".key")) {
                    Path certFile = file.resolveSibling(name.substring(0, name.length() - ".key".length()) + ".cert");
                    if (!Files.exists(certFile)) {
                        throw bad(file, "is a client key without its certificate " + certFile.getFileName());
                    }
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, NO_PASSWORD);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(pairs == 0 ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new BackendException(BackendException.Kind.FAILED_PRECONDITION,
                    "cannot build TLS settings from " + hostDir + ": " + e.getMessage(), e);
        }
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw bad(file, "cannot be read: " + e.getMessage());
        }
    }

    private static List<Certificate> certificates(Path file) {
        Collection<? extends Certificate> certs;
        try {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(read(file)));
        } catch (CertificateException e) {
            throw bad(file, "is not a PEM or DER X.509 certificate: " + e.getMessage());
        }
        if (certs.isEmpty()) {
            throw bad(file, "holds no certificate");
        }
        return new ArrayList<>(certs);
    }

    private static PrivateKey privateKey(Path file) {
        String text = new String(read(file), StandardCharsets.US_ASCII);
        Matcher m = PEM.matcher(text);
        if (!m.find()) {
            throw bad(file, "is not a PEM private key");
        }
        String type = m.group(1);
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(m.group(2));
        } catch (IllegalArgumentException e) {
            throw bad(file, "has a PEM block that is not base64");
        }
        byte[] pkcs8 = switch (type) {
            case "PRIVATE KEY" -> der;
            case "RSA PRIVATE KEY" -> rsaPkcs1ToPkcs8(der);
            case "ENCRYPTED PRIVATE KEY" -> throw bad(file, "is encrypted; crisp needs an unencrypted key "
                    + "(openssl pkey -in " + file + " -out KEY)");
            default -> throw bad(file, "holds a \"" + type + "\" block; convert it to PKCS#8 with "
                    + "openssl pkcs8 -topk8 -nocrypt -in " + file + " -out KEY");
        };
        for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            } catch (GeneralSecurityException notThisOne) {
                // next algorithm
            }
        }
        throw bad(file, "holds a private key of an algorithm crisp cannot read (RSA, EC and Ed25519 are)");
    }

    /** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo (version 0, rsaEncryption with NULL parameters). */
    private static byte[] rsaPkcs1ToPkcs8(byte[] pkcs1) {
        byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x00});
        body.writeBytes(algorithm);
        body.write(0x04);
        body.writeBytes(derLength(pkcs1.length));
        body.writeBytes(pkcs1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x30);
        out.writeBytes(derLength(body.size()));
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    private static byte[] derLength(int length) {
        if (length < 0x80) {
            return new byte[] {(byte) length};
        }
        if (length < 0x100) {
            return new byte[] {(byte) 0x81, (byte) length};
        }
        if (length < 0x10000) {
            return new byte[] {(byte) 0x82, (byte) (length >> 8), (byte) length};
        }
        return new byte[] {(byte) 0x83, (byte) (length >> 16), (byte) (length >> 8), (byte) length};
    }

    /** Proves the key belongs to the certificate: signs with one and verifies with the other. */
    private static void checkPair(Path certFile, Path keyFile, X509Certificate cert, PrivateKey key) {
        PublicKey pub = cert.getPublicKey();
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm();
        };
        boolean matches;
        try {
            byte[] probe = "crisp certs.d key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(pub);
            verifier.update(probe);
            matches = pub.getAlgorithm().equals(key.getAlgorithm()) && verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            matches = false;
        }
        if (!matches) {
            throw new BackendException(BackendException.Kind.FAILED_PRECONDITION,
                    "client key " + keyFile + " does not match client certificate " + certFile);
        }
    }

    private static X509TrustManager systemTrust() throws GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);
        for (var tm : tmf.getTrustManagers()) {
            if (tm instanceof X509TrustManager x509) {
                return x509;
            }
        }
        throw new GeneralSecurityException("the JDK has no X.509 trust manager");
    }

    private static BackendException bad(Path file, String problem) {
        return new BackendException(BackendException.Kind.FAILED_PRECONDITION, "TLS file " + file + " " + problem);
    }
}
