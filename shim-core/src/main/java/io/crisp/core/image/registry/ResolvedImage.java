package io.crisp.core.image.registry;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * An image manifest for one platform, fetched and verified: its digest (what repo digests name),
 * its bytes (stored as they came), and the config and layers it references, bottom layer first.
 * {@code topDigest} is the digest of what the reference itself names: the index of a multi-platform
 * image, else the manifest's own digest; signatures are made over it.
 */
public record ResolvedImage(String manifestDigest, String manifestMediaType, byte[] manifest, Descriptor config, List<Descriptor> layers,
                            String topDigest) {
    public ResolvedImage {
        requireNonNull(manifestDigest, "manifestDigest is null");
        requireNonNull(topDigest, "topDigest is null");
        requireNonNull(manifestMediaType, "manifestMediaType is null");
        requireNonNull(manifest, "manifest is null");
        requireNonNull(config, "config is null");
        layers = List.copyOf(layers);
    }
}
