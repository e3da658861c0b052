package io.crisp.core.image.policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Sigstore signatures made with a key ({@code cosign sign --key}, {@code skopeo copy
 * --sign-by-sigstore-private-key}): a signature over the payload bytes, SHA-256 with the key's
 * algorithm (ECDSA as cosign makes them; RSA and Ed25519 keys are read too), verified with the JDK.
 * Keys are PEM {@code PUBLIC KEY} blocks (SubjectPublicKeyInfo).
 */
final class SigstoreSignatures {
    private SigstoreSignatures() {}

    /** The public keys of a requirement. */
    static List<PublicKey> keys(Requirement.KeySource source) throws IOException {
        List<PublicKey> keys = new ArrayList<>();
        for (int i = 0; i < source.paths().size() + source.data().size(); i++) {
            boolean file = i < source.paths().size();
            String name = file ? source.paths().get(i) : "keyData";
            byte[] blob = file ? Files.readAllBytes(Path.of(name)) : source.data().get(i - source.paths().size());
            try {
                keys.add(publicKey(new String(blob, StandardCharsets.US_ASCII)));
            } catch (IOException e) {
                throw new IOException(name + " " + e.getMessage(), e);
            }
        }
        return keys;
    }

    static PublicKey publicKey(String pem) throws IOException {
        String begin = "-----BEGIN PUBLIC KEY-----";
        String end = "-----END PUBLIC KEY-----";
        int from = pem.indexOf(begin);
        int to = pem.indexOf(end);
        if (from < 0 || to < from) {
            throw new IOException("holds no PEM PUBLIC KEY block");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
        } catch (IllegalArgumentException e) {
            throw new IOException("its PUBLIC KEY block is not base64");
        }
        for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new IOException("its PUBLIC KEY is not an EC, RSA or Ed25519 key");
    }

    /** Whether one of {@code keys} signed {@code payload}; {@code signature} is the base64 of the annotation. */
    static boolean verify(byte[] payload, String signatureBase64, List<PublicKey> keys) {
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(signatureBase64.strip());
        } catch (IllegalArgumentException e) {
            return false;
        }
        for (PublicKey key : keys) {
            String algorithm = switch (key.getAlgorithm()) {
                case "EC" -> "SHA256withECDSA";
                case "RSA" -> "SHA256withRSA";
                default -> "Ed25519";
            };
            try {
                Signature verifier = Signature.getInstance(algorithm);
                verifier.initVerify(key);
                verifier.update(payload);
                if (verifier.verify(signature)) {
                    return true;
                }
            } catch (GeneralSecurityException e) {
                // a signature this key cannot read is not this key's
            }
        }
        return false;
    }
}
