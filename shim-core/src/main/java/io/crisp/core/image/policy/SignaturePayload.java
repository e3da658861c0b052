package io.crisp.core.image.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.core.image.ref.ImageReference;
import io.crisp.core.state.Json;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/**
 * What a verified signature says, checked against the pull (containers-signature(5)): the
 * {@code critical} object's {@code type}, its {@code image.docker-manifest-digest} (the digest of
 * the manifest being pulled) and its {@code identity.docker-reference}, judged by the requirement's
 * signedIdentity. Only called on bytes whose cryptographic signature has been verified.
 */
final class SignaturePayload {
    /** The type of a simple-signing (GPG) payload. */
    static final String SIMPLE_SIGNING = "atomic container signature";
    /** The type of a sigstore payload. */
    static final String SIGSTORE = "cosign container image signature";
    private static final ObjectMapper JSON = Json.MAPPER;

    private SignaturePayload() {}

    /** Why the payload does not allow pulling {@code image} with manifest {@code digest}, or empty when it does. */
    static Optional<String> refusal(byte[] payload, String type, String digest, ImageReference image, SignedIdentity identity) {
        JsonNode root;
        try {
            root = JSON.readTree(payload);
        } catch (IOException e) {
            return Optional.of("the signed payload is not JSON");
        }
        JsonNode critical = root == null ? null : root.get("critical");
        if (critical == null || !critical.isObject()) {
            return Optional.of("the signed payload has no \"critical\" object");
        }
        for (var it = critical.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!Set.of("type", "image", "identity").contains(field)) {
                return Optional.of("the signed payload has an unknown critical field \"" + field + "\"");
            }
        }
        String actualType = critical.path("type").asText("");
        if (!actualType.equals(type)) {
            return Optional.of("the signed payload's critical.type is \"" + actualType + "\", not \"" + type + "\"");
        }
        String signedDigest = critical.path("image").path("docker-manifest-digest").asText("");
        if (!signedDigest.equals(digest)) {
            return Optional.of("the signature is for manifest " + (signedDigest.isEmpty() ? "(none)" : signedDigest) + ", not the pulled manifest "
                    + digest);
        }
        String claimed = critical.path("identity").path("docker-reference").asText("");
        ImageReference signed;
        try {
            signed = ImageReference.parse(claimed);
        } catch (BackendException e) {
            return Optional.of("the signed identity \"" + claimed + "\" is not an image reference");
        }
        if (!identity.accepts(PolicyFile.identity(image), signed)) {
            return Optional.of("the signed identity " + signed + " does not match " + PolicyFile.identity(image) + " (signedIdentity "
                    + identity.describe() + ")");
        }
        return Optional.empty();
    }
}
