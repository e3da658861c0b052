package io.crisp.core.image;

import static java.util.Objects.requireNonNull;

import io.crisp.core.oci.ImageConfigSummary;
import java.util.List;

/**
 * An image in the store. Immutable: adding a tag stores a new record.
 *
 * @param id the config digest: what PullImage returns as {@code image_ref} and every later
 *     reference to the image (Image.id, Container.image_id) repeats
 * @param repoTags fully qualified names with tag, e.g. {@code docker.io/library/busybox:1.36}
 * @param repoDigests fully qualified names with the manifest digest, e.g. {@code docker.io/library/busybox@sha256:...}
 * @param size bytes of the compressed layers and the config, as the registry served them
 * @param layers bottom first
 * @param pulledAtMillis when the image was last pulled or tagged
 */
public record ImageRecord(String id, List<String> repoTags, List<String> repoDigests, long size, ImageConfigSummary config,
        List<Layer> layers, long pulledAtMillis) {
    /** One layer: the compressed blob and the digest of its uncompressed tar (the rootfs diff_id). */
    public record Layer(String digest, String diffId, long size, String mediaType) {
        public Layer {
            requireNonNull(digest, "digest is null");
            requireNonNull(diffId, "diffId is null");
            requireNonNull(mediaType, "mediaType is null");
        }
    }

    public ImageRecord {
        requireNonNull(id, "id is null");
        repoTags = List.copyOf(repoTags);
        repoDigests = List.copyOf(repoDigests);
        requireNonNull(config, "config is null");
        layers = List.copyOf(layers);
    }
}
