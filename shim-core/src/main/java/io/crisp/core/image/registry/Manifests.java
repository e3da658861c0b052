package io.crisp.core.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.crisp.core.image.ref.ImageReference;
import io.crisp.core.image.store.ContentStore;
import io.crisp.spi.BackendException;
import java.util.ArrayList;
import java.util.List;

/** Reading manifests and indexes: the platform an index offers, the descriptors of a manifest, its media type. */
final class Manifests {
    private Manifests() {}

    static String choosePlatform(JsonNode index, String platform, ImageReference ref) {
        String[] wanted = platform.split("/");
        List<String> offered = new ArrayList<>();
        for (JsonNode m : index.path("manifests")) {
            JsonNode p = m.path("platform");
            String os = p.path("os").asText();
            String arch = p.path("architecture").asText();
            offered.add(os + "/" + arch + (p.hasNonNull("variant") ? "/" + p.path("variant").asText() : ""));
            if (os.equals(wanted[0]) && arch.equals(wanted[1])
                    && (wanted.length < 3 || wanted[2].equals(p.path("variant").asText()))) {
                return m.path("digest").asText();
            }
        }
        throw BackendException.notFound("image \"%s\" has no %s variant (it offers %s)", ref, platform, String.join(", ", offered));
    }

    static Descriptor descriptor(JsonNode node, ImageReference ref) {
        String digest = node.path("digest").asText("");
        if (!ContentStore.isDigest(digest)) {
            throw BackendException.invalidArgument("image \"%s\": manifest names a blob with unsupported digest \"%s\"", ref, digest);
        }
        return new Descriptor(node.path("mediaType").asText(""), digest, node.path("size").asLong(-1));
    }

    static String mediaType(JsonNode node, String contentType) {
        String declared = node.path("mediaType").asText("");
        if (!declared.isEmpty()) {
            return declared;
        }
        if (node.has("manifests")) {
            return MediaTypes.OCI_INDEX;
        }
        return contentType.isEmpty() ? MediaTypes.OCI_MANIFEST : contentType;
    }
}
