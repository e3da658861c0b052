package io.crisp.core.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.core.state.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * A one-layer image (its layer an empty tar) as an OCI image layout, for {@code crisp cds-warmup}
 * to import: with an image in the store, the warm-up's restart reads an image record as every
 * restarted daemon does, so the archive holds the record readers (Jackson's record binding).
 */
final class WarmupImage {
    static final String NAME = "localhost/crisp/cds-warmup:1";
    private static final ObjectMapper JSON = Json.MAPPER;

    private WarmupImage() {}

    /** Writes the layout to {@code dir} (created) and returns it. */
    static Path write(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("blobs/sha256"));
        byte[] tar = new byte[1024]; // an empty tar: two zero blocks
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(tar);
        }
        String layer = blob(dir, gz.toByteArray());
        String arch = System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64";
        byte[] config = JSON.writeValueAsBytes(Map.of("architecture", arch, "os", "linux",
                "config", Map.of("Cmd", List.of("/pause")),
                "rootfs", Map.of("type", "layers", "diff_ids", List.of("sha256:" + sha256(tar)))));
        String configDigest = blob(dir, config);
        byte[] manifest = JSON.writeValueAsBytes(Map.of("schemaVersion", 2,
                "mediaType", "application/vnd.oci.image.manifest.v1+json",
                "config", Map.of("mediaType", "application/vnd.oci.image.config.v1+json", "digest", configDigest, "size", config.length),
                "layers", List.of(Map.of("mediaType", "application/vnd.oci.image.layer.v1.tar+gzip", "digest", layer,
                        "size", gz.size()))));
        String manifestDigest = blob(dir, manifest);
        Files.write(dir.resolve("index.json"), JSON.writeValueAsBytes(Map.of("schemaVersion", 2, "manifests", List.of(Map.of(
                "mediaType", "application/vnd.oci.image.manifest.v1+json", "digest", manifestDigest, "size", manifest.length,
                "annotations", Map.of("io.containerd.image.name", NAME))))));
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        return dir;
    }

    private static String blob(Path dir, byte[] content) throws IOException {
        String hex = sha256(content);
        Files.write(dir.resolve("blobs/sha256").resolve(hex), content);
        return "sha256:" + hex;
    }

    private static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
