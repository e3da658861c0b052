package io.crisp.core.image.policy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPOnePassSignature;
import org.bouncycastle.openpgp.PGPOnePassSignatureList;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;

/**
 * Simple-signing signatures (containers-signature(5)): an OpenPGP signed message (one-pass
 * signature, literal data holding the JSON payload, signature; possibly compressed), as
 * {@code skopeo copy --sign-by} and {@code podman push --sign-by} write them. Verified with
 * Bouncy Castle against the keys of the requirement (keyrings, binary or ASCII-armoured).
 */
final class GpgSignatures {
    private GpgSignatures() {}

    /** The trusted keys of a requirement. */
    static PGPPublicKeyRingCollection keys(Requirement.KeySource source) throws IOException {
        List<org.bouncycastle.openpgp.PGPPublicKeyRing> rings = new ArrayList<>();
        for (int i = 0; i < source.paths().size() + source.data().size(); i++) {
            boolean file = i < source.paths().size();
            String name = file ? source.paths().get(i) : "keyData";
            byte[] blob = file ? Files.readAllBytes(Path.of(name)) : source.data().get(i - source.paths().size());
            try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(blob))) {
                PGPPublicKeyRingCollection collection = new PGPPublicKeyRingCollection(in, new BcKeyFingerprintCalculator());
                collection.getKeyRings().forEachRemaining(rings::add);
            } catch (PGPException | IOException | RuntimeException e) {
                throw new IOException(name + " is not an OpenPGP public keyring: " + e.getMessage(), e);
            }
        }
        if (rings.isEmpty()) {
            throw new IOException(source.describe() + " holds no OpenPGP public key");
        }
        return new PGPPublicKeyRingCollection(rings);
    }

    /**
     * The payload of {@code signature} when one of {@code keys} made it.
     *
     * @throws SignatureRefused naming why not (another key, a bad signature, not a signature)
     */
    static byte[] verify(byte[] signature, PGPPublicKeyRingCollection keys) {
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(signature))) {
            BcPGPObjectFactory objects = new BcPGPObjectFactory(in);
            Object next = objects.nextObject();
            if (next instanceof PGPCompressedData compressed) {
                objects = new BcPGPObjectFactory(compressed.getDataStream());
                next = objects.nextObject();
            }
            if (!(next instanceof PGPOnePassSignatureList onePass) || onePass.isEmpty()) {
                throw new SignatureRefused("not an OpenPGP signed message");
            }
            PGPOnePassSignature header = onePass.get(0);
            PGPPublicKey key = keys.getPublicKey(header.getKeyID());
            if (key == null) {
                throw new SignatureRefused("signed by key " + String.format("%016X", header.getKeyID()) + ", which is not among the trusted keys");
            }
            if (!(objects.nextObject() instanceof PGPLiteralData literal)) {
                throw new SignatureRefused("the signed message holds no literal data");
            }
            byte[] payload = literal.getInputStream().readAllBytes();
            header.init(new BcPGPContentVerifierBuilderProvider(), key);
            header.update(payload);
            if (!(objects.nextObject() instanceof PGPSignatureList signatures) || signatures.isEmpty()) {
                throw new SignatureRefused("the signed message has no signature packet");
            }
            if (!header.verify(signatures.get(0))) {
                throw new SignatureRefused("the OpenPGP signature of key " + String.format("%016X", header.getKeyID()) + " is invalid");
            }
            return payload;
        } catch (IOException | PGPException | RuntimeException e) {
            if (e instanceof SignatureRefused refused) {
                throw refused;
            }
            throw new SignatureRefused("not a readable OpenPGP signature: " + e.getMessage());
        }
    }

    /** One signature that does not count, and why. */
    static final class SignatureRefused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SignatureRefused(String reason) {
            super(reason);
        }
    }
}
