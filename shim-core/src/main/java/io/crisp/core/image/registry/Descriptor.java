package io.crisp.core.image.registry;

import static java.util.Objects.requireNonNull;

/** An OCI content descriptor: what a manifest says about a blob it references. */
public record Descriptor(String mediaType, String digest, long size) {
    public Descriptor {
        requireNonNull(mediaType, "mediaType is null");
        requireNonNull(digest, "digest is null");
    }
}
