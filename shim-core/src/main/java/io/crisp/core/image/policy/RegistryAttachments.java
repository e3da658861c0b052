package io.crisp.core.image.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.core.image.ref.ImageReference;
import io.crisp.core.image.ref.RegistriesConf.Endpoint;
import io.crisp.core.image.ref.RegistryCredentials;
import io.crisp.core.image.registry.Descriptor;
import io.crisp.core.image.registry.RegistryClient;
import io.crisp.core.image.registry.ResolvedImage;
import io.crisp.core.image.store.ContentStore;
import io.crisp.core.state.FileTrees;
import io.crisp.core.state.Json;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Sigstore attachments read from the endpoint a pull uses, with the pull's credentials and
 * connections (a cancelled pull stops these reads too). Blobs go to a scratch content store that
 * is deleted afterwards: signatures never enter the image store.
 */
public final class RegistryAttachments implements Attachments {
    private static final ObjectMapper JSON = Json.MAPPER;
    /** Layers of one signature manifest read at most. */
    private static final int MAX_LAYERS = 64;
    private static final long MAX_PAYLOAD_BYTES = 4 << 20;

    private final RegistryClient client;
    private final Endpoint endpoint;
    private final ImageReference image;
    private final RegistryCredentials credentials;
    private final RegistryClient.Pull pull;

    public RegistryAttachments(RegistryClient client, Endpoint endpoint, ImageReference image, RegistryCredentials credentials, RegistryClient.Pull pull) {
        this.client = client;
        this.endpoint = endpoint;
        this.image = image;
        this.credentials = credentials;
        this.pull = pull;
    }

    @Override
    public List<Signed> signatures(String digest) {
        String tag = digest.replace(':', '-') + ".sig";
        ImageReference attachment = new ImageReference(image.registry(), image.repository(), Optional.of(tag), Optional.empty());
        ResolvedImage manifest;
        try {
            manifest = client.resolve(endpoint, attachment, credentials, "linux/amd64", pull);
        } catch (BackendException e) {
            if (e.kind() == BackendException.Kind.NOT_FOUND) {
                return List.of();
            }
            throw e;
        }
        JsonNode layers;
        try {
            layers = JSON.readTree(manifest.manifest()).path("layers");
        } catch (IOException e) {
            return List.of(); // resolve has parsed it already
        }
        List<Signed> found = new ArrayList<>();
        Path scratch = null;
        try {
            scratch = Files.createTempDirectory("crisp-sigstore-");
            ContentStore store = new ContentStore(scratch);
            for (int i = 0; i < Math.min(layers.size(), MAX_LAYERS); i++) {
                JsonNode layer = layers.get(i);
                String signature = layer.path("annotations").path(SIGNATURE_ANNOTATION).asText("");
                Descriptor blob = manifest.layers().get(i);
                if (signature.isEmpty() || blob.size() > MAX_PAYLOAD_BYTES) {
                    continue;
                }
                client.fetchBlob(endpoint, blob, credentials, store, pull);
                found.add(new Signed(store.read(blob.digest()), signature));
            }
            return found;
        } catch (IOException e) {
            throw BackendException.unavailable("cannot read the sigstore signatures of %s: %s", image, e.getMessage());
        } finally {
            if (scratch != null) {
                try {
                    FileTrees.delete(scratch);
                } catch (IOException e) {
                    org.slf4j.LoggerFactory.getLogger(RegistryAttachments.class).warn("Cannot delete {}: {}", scratch, e.getMessage());
                }
            }
        }
    }
}
