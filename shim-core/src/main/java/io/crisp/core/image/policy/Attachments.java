package io.crisp.core.image.policy;

import java.util.List;

/**
 * The sigstore signatures a registry stores for a manifest as an OCI attachment: the manifest
 * tagged {@code sha256-<hex>.sig} in the image's repository, whose layers each hold a payload
 * and carry its signature in the {@code dev.cosignproject.cosign/signature} annotation.
 */
public interface Attachments {
    /** The annotation that holds a layer's signature, base64. */
    String SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";

    /** One signature: the payload bytes (the layer blob) and its signature (the annotation's base64 text). */
    record Signed(byte[] payload, String signature) {}

    /** The signatures of manifest {@code digest}; none (no such tag) is an empty list. */
    List<Signed> signatures(String digest);

    /** No registry at hand: never any signature. */
    Attachments NONE = digest -> List.of();
}
