package io.crisp.core.image.policy;

import io.crisp.core.image.ref.ImageReference;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signature policy a pull must satisfy before anything of the image is stored: policy.json
 * (containers-policy.json(5)) with the signature locations of registries.d
 * (containers-registries.d(5)), the files CRI-O, Podman and Skopeo read. Every requirement of the
 * image's scope must be met; a signedBy or sigstoreSigned requirement is met by one signature that
 * verifies with a trusted key and whose payload names the pulled manifest's digest and an
 * acceptable identity.
 *
 * <p>Errors: a refused image is PERMISSION_DENIED, naming the image, the policy file, the scope
 * and the requirement with why it failed. A policy that cannot be used (the file is missing or
 * invalid, a key file cannot be read) is FAILED_PRECONDITION: the node's configuration is at
 * fault. A missing policy.json refuses every pull, as in CRI-O and Podman (containers-common
 * installs one that accepts anything).
 */
public final class SignaturePolicy {
    private static final Logger log = LoggerFactory.getLogger(SignaturePolicy.class);

    private final Path file;
    private final PolicyFile policy;
    private final Path registriesDir;
    private final RegistriesD registriesD;
    private final Duration timeout;

    private SignaturePolicy(Path file, PolicyFile policy, Path registriesDir, RegistriesD registriesD, Duration timeout) {
        this.file = file;
        this.policy = policy;
        this.registriesDir = registriesDir;
        this.registriesD = registriesD;
        this.timeout = timeout;
    }

    /**
     * Reads the policy and the registries.d directory (a missing directory configures nothing).
     *
     * @param timeout how long a lookaside server may take to answer (connect, and between bytes)
     * @throws BackendException FAILED_PRECONDITION when either cannot be used, naming the file and the field
     */
    public static SignaturePolicy load(Path policyFile, Path registriesDir, Duration timeout) {
        PolicyFile policy;
        try {
            policy = PolicyFile.load(policyFile);
        } catch (NoSuchFileException e) {
            throw BackendException.failedPrecondition("signature policy %s does not exist: every pull is refused until it does (for no "
                    + "signature checks, write {\"default\": [{\"type\": \"insecureAcceptAnything\"}]} there, as containers-common does)", policyFile);
        } catch (IOException e) {
            throw BackendException.failedPrecondition("cannot read signature policy %s: %s", policyFile, e.getMessage());
        } catch (PolicyException e) {
            throw BackendException.failedPrecondition("signature policy %s is invalid: %s", policyFile, e.getMessage());
        }
        RegistriesD registriesD;
        try {
            registriesD = RegistriesD.load(registriesDir);
        } catch (PolicyException e) {
            throw BackendException.failedPrecondition("signature storage configuration %s is invalid: %s", registriesDir, e.getMessage());
        }
        return new SignaturePolicy(policyFile, policy, registriesDir, registriesD, timeout);
    }

    /**
     * Checks that {@code image}, whose manifest has {@code manifestDigest}, may be pulled.
     *
     * @param attachments where sigstore signatures are read when registries.d says so
     * @throws BackendException PERMISSION_DENIED when the policy refuses the image
     */
    public void check(ImageReference image, String manifestDigest, Attachments attachments) {
        PolicyFile.Scoped scoped = policy.forImage(image);
        for (Requirement requirement : scoped.requirements()) {
            Optional<String> refusal;
            if (requirement instanceof Requirement.SignedBy s) {
                refusal = simpleSigning(s, image, manifestDigest);
            } else if (requirement instanceof Requirement.SigstoreSigned s) {
                refusal = sigstore(s, image, manifestDigest, attachments);
            } else if (requirement instanceof Requirement.Reject) {
                refusal = Optional.of("images of this scope are rejected");
            } else {
                refusal = Optional.empty(); // insecureAcceptAnything
            }
            if (refusal.isPresent()) {
                log.warn("Signature policy refused {} ({}): scope {}, requirement {}: {}", image, manifestDigest, scoped.scope(), requirement.describe(),
                        refusal.get());
                throw new BackendException(BackendException.Kind.PERMISSION_DENIED, String.format(
                        "image \"%s\" (manifest %s) refused by signature policy %s, scope %s: requirement %s failed: %s", image, manifestDigest,
                        file, scoped.scope(), requirement.describe(), refusal.get()));
            }
        }
        log.info("Signature policy {} accepts {} ({}): scope {}, {}", file, image, manifestDigest, scoped.scope(),
                String.join(" and ", scoped.requirements().stream().map(Requirement::describe).toList()));
    }

    private Optional<String> simpleSigning(Requirement.SignedBy requirement, ImageReference image, String digest) {
        PGPPublicKeyRingCollection keys;
        try {
            keys = GpgSignatures.keys(requirement.keys());
        } catch (IOException e) {
            throw keyProblem(requirement, e);
        }
        URI base = registriesD.lookaside(image);
        List<byte[]> signatures;
        try {
            signatures = Lookaside.read(base, image, digest, timeout);
        } catch (IOException e) {
            throw BackendException.unavailable("cannot read the signatures of %s from lookaside %s: %s", image, base, e.getMessage());
        }
        if (signatures.isEmpty()) {
            return Optional.of("no signature at " + RegistriesD.signatureUrl(base, image, digest, 1) + " (lookaside from " + registriesDir + ")");
        }
        List<String> reasons = new ArrayList<>();
        for (int i = 0; i < signatures.size(); i++) {
            try {
                byte[] payload = GpgSignatures.verify(signatures.get(i), keys);
                Optional<String> refusal = SignaturePayload.refusal(payload, SignaturePayload.SIMPLE_SIGNING, digest, image, requirement.identity());
                if (refusal.isEmpty()) {
                    return Optional.empty();
                }
                reasons.add("signature-" + (i + 1) + ": " + refusal.get());
            } catch (GpgSignatures.SignatureRefused e) {
                reasons.add("signature-" + (i + 1) + ": " + e.getMessage());
            }
        }
        return Optional.of("no accepted signature among " + signatures.size() + " at " + base + " (" + String.join("; ", reasons) + ")");
    }

    private Optional<String> sigstore(Requirement.SigstoreSigned requirement, ImageReference image, String digest, Attachments attachments) {
        List<PublicKey> keys;
        try {
            keys = SigstoreSignatures.keys(requirement.keys());
        } catch (IOException e) {
            throw keyProblem(requirement, e);
        }
        if (!registriesD.useSigstoreAttachments(image)) {
            return Optional.of("sigstore signatures are read from the registry's OCI attachments, and no registries.d entry in " + registriesDir
                    + " sets use-sigstore-attachments: true for " + image.name());
        }
        List<Attachments.Signed> signatures = attachments.signatures(digest);
        if (signatures.isEmpty()) {
            return Optional.of("no sigstore signature (no attachment " + digest.replace(':', '-') + ".sig with a signed layer in " + image.name() + ")");
        }
        List<String> reasons = new ArrayList<>();
        for (int i = 0; i < signatures.size(); i++) {
            Attachments.Signed signed = signatures.get(i);
            if (!SigstoreSignatures.verify(signed.payload(), signed.signature(), keys)) {
                reasons.add("signature " + (i + 1) + ": not made by a trusted key, or invalid");
                continue;
            }
            Optional<String> refusal = SignaturePayload.refusal(signed.payload(), SignaturePayload.SIGSTORE, digest, image, requirement.identity());
            if (refusal.isEmpty()) {
                return Optional.empty();
            }
            reasons.add("signature " + (i + 1) + ": " + refusal.get());
        }
        return Optional.of("no accepted sigstore signature among " + signatures.size() + " (" + String.join("; ", reasons) + ")");
    }

    private BackendException keyProblem(Requirement requirement, IOException e) {
        String why = e instanceof NoSuchFileException ? e.getMessage() + " does not exist" : e.getMessage();
        return BackendException.failedPrecondition("signature policy %s: the keys of requirement %s cannot be used: %s", file,
                requirement.describe(), why);
    }
}
