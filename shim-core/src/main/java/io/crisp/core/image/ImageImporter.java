package io.crisp.core.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.core.image.ref.ImageReference;
import io.crisp.core.image.store.ContentStore;
import io.crisp.core.image.unpack.LayerCompression;
import io.crisp.core.oci.ImageConfigSummary;
import io.crisp.core.state.AtomicFiles;
import io.crisp.core.state.Json;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads images from disk for {@code crisp images import}, for nodes without a registry: an OCI
 * image layout directory, an OCI archive (a tar of one), or a {@code docker save} archive (its
 * {@code manifest.json}, with uncompressed layer tars). Every blob is verified against its digest
 * as it enters the content store, exactly as a pulled one.
 *
 * <p>Names: a docker archive carries them in {@code RepoTags}; an OCI layout in the
 * {@code io.containerd.image.name} annotation, or in {@code org.opencontainers.image.ref.name}
 * when that holds a full name. A layout entry with neither is refused, naming the manifest.
 */
final class ImageImporter {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ImageImporter.class);

    /** Shared: a client or importer is made per pull or import, a mapper is costly to build and thread-safe. */
    private static final ObjectMapper JSON = Json.MAPPER;
    private final Path workDir;
    private final ContentStore blobs;
    private final LayerStore layers;
    private final ImageStore images;
    private final ImageGarbage garbage;
    private final Transfers.Transfer progress;

    /**
     * @param workDir where archives are extracted for the time of an import
     * @param progress counts the archive's bytes read (a file) or the layer bytes stored (a directory), and layers
     */
    ImageImporter(Path workDir, ContentStore blobs, LayerStore layers, ImageStore images, ImageGarbage garbage, Transfers.Transfer progress) {
        this.progress = progress;
        this.workDir = workDir;
        this.blobs = blobs;
        this.layers = layers;
        this.images = images;
        this.garbage = garbage;
    }

    /**
     * Loads every image at {@code source} into the store. Blobs are verified like pulled ones; a
     * failure keeps nothing new.
     */
    List<ImageRecord> importFrom(Path source, String platform) {
        if (!source.isAbsolute()) {
            throw BackendException.invalidArgument("path: \"%s\" is not an absolute path", source);
        }
        if (!Files.exists(source)) {
            throw BackendException.invalidArgument("path: %s: no such file or directory", source);
        }
        Path extracted = null;
        List<String> addedBlobs = new ArrayList<>();
        List<String> addedLayers = new ArrayList<>();
        Set<String> touched = ConcurrentHashMap.newKeySet();
        try {
            Path dir = source;
            boolean archive = Files.isRegularFile(source);
            if (archive) {
                progress.expect(Files.size(source), -1);
                Files.createDirectories(workDir);
                extracted = Files.createTempDirectory(workDir, "archive-");
                extract(source, extracted);
                dir = extracted;
            }
            List<ImageRecord> imported = new ArrayList<>();
            List<Found> sources = read(dir, platform);
            int layerCount = sources.stream().mapToInt(f -> f.layers().size()).sum();
            if (archive) {
                progress.expect(progress.bytesTotal(), layerCount);
            } else {
                long bytes = 0;
                for (Found f : sources) {
                    for (Layer l : f.layers()) {
                        bytes += Files.size(l.file());
                    }
                }
                progress.expect(bytes, layerCount);
            }
            for (Found found : sources) {
                garbage.pin(touched, found.configDigest());
                if (!blobs.has(found.configDigest())) {
                    blobs.ingest(found.configDigest(), found.config());
                    addedBlobs.add(found.configDigest());
                }
                JsonNode config = JSON.readTree(found.config());
                List<String> diffIds = new ArrayList<>();
                config.path("rootfs").path("diff_ids").forEach(d -> diffIds.add(d.asText()));
                if (diffIds.size() != found.layers().size()) {
                    throw BackendException.invalidArgument("%s: image %s lists %d diff_ids for %d layers", source, found.name(), diffIds.size(),
                            found.layers().size());
                }
                List<ImageRecord.Layer> layerRecords = new ArrayList<>();
                long size = found.config().length;
                for (int i = 0; i < diffIds.size(); i++) {
                    Layer layer = found.layers().get(i);
                    garbage.pin(touched, layer.digest());
                    garbage.pin(touched, diffIds.get(i));
                    if (!blobs.has(layer.digest())) {
                        try (java.io.InputStream in = archive ? Files.newInputStream(layer.file())
                                : progress.counting(Files.newInputStream(layer.file()))) {
                            blobs.ingest(layer.digest(), Files.size(layer.file()), in);
                        }
                        addedBlobs.add(layer.digest());
                    } else if (!archive) {
                        progress.addBytes(Files.size(layer.file()));
                    }
                    if (layers.unpack(layer.digest(), diffIds.get(i))) {
                        addedLayers.add(diffIds.get(i));
                    }
                    progress.layerDone();
                    long layerSize = Files.size(layer.file());
                    layerRecords.add(new ImageRecord.Layer(layer.digest(), diffIds.get(i), layerSize, layer.mediaType()));
                    size += layerSize;
                }
                ImageReference ref = ImageReference.parse(found.name());
                ImageRecord image = new ImageRecord(found.configDigest(), List.of(), List.of(), size, ImageConfigSummary.of(config), layerRecords,
                        System.currentTimeMillis());
                imported.add(images.put(image, ref.digest().isEmpty() ? Optional.of(ref.toString()) : Optional.empty(),
                        found.manifestDigest().map(d -> ref.name() + "@" + d)));
                log.info("Imported {} as {} from {}", ref, found.configDigest(), source);
            }
            return imported;
        } catch (IOException e) {
            garbage.discard(addedBlobs, addedLayers, touched);
            throw new BackendException(BackendException.Kind.INVALID_ARGUMENT, // the cause tells a full disk
                    String.format("cannot import %s: %s", source, named(e.getMessage(), extracted, source)), e);
        } catch (BackendException e) {
            garbage.discard(addedBlobs, addedLayers, touched);
            if (extracted == null) {
                throw e;
            }
            throw new BackendException(e.kind(), named(e.getMessage(), extracted, source), e);
        } catch (RuntimeException e) {
            garbage.discard(addedBlobs, addedLayers, touched);
            throw e;
        } finally {
            garbage.unpin(touched);
            if (extracted != null) {
                LayerStore.deleteTree(extracted);
            }
        }
    }


    /**
     * A message about an archive's contents names the user's archive, not the directory it was
     * unpacked into (which is gone by the time anyone reads the message).
     */
    private static String named(String message, Path extracted, Path source) {
        return extracted == null || message == null ? String.valueOf(message) : message.replace(extracted.toString(), source.toString());
    }

    /** A manifest found in the source, with the name to store it under. */
    record Found(String name, String configDigest, byte[] config, List<Layer> layers, Optional<String> manifestDigest) {}

    /** A layer blob in the source: its path there, digest, media type. */
    record Layer(Path file, String digest, String mediaType) {}

    /** Unpacks a tar archive (OCI or docker) into {@code into}; only regular files and directories, no escape. */
    void extract(Path archive, Path into) throws IOException {
        try (InputStream file = progress.counting(Files.newInputStream(archive));
             TarArchiveInputStream tar = new TarArchiveInputStream(LayerCompression.decompressed(new java.io.BufferedInputStream(file)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                String name = entry.getName();
                while (name.startsWith("./") || name.startsWith("/")) {
                    name = name.startsWith("./") ? name.substring(2) : name.substring(1);
                }
                if (name.isEmpty()) {
                    continue;
                }
                for (String part : name.split("/")) {
                    if (part.equals("..")) {
                        throw BackendException.invalidArgument("archive %s: entry \"%s\" escapes the archive", archive, entry.getName());
                    }
                }
                Path target = into.resolve(name).normalize();
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                } else if (entry.isFile()) {
                    Files.createDirectories(target.getParent());
                    if (Files.isSymbolicLink(target.getParent())) {
                        throw BackendException.invalidArgument("archive %s: entry \"%s\" goes through a link", archive, entry.getName());
                    }
                    try {
                        Files.copy(tar, target);
                    } catch (IOException e) { // named by the work dir, which the user's archive's name does not replace
                        throw AtomicFiles.naming(workDir, e);
                    }
                }
                // Links and devices have no place in an image archive's own structure: skipped.
            }
        }
    }

    List<Found> read(Path dir, String platform) throws IOException {
        if (Files.isRegularFile(dir.resolve("manifest.json"), LinkOption.NOFOLLOW_LINKS)
                && !Files.isRegularFile(dir.resolve("index.json"), LinkOption.NOFOLLOW_LINKS)) {
            return readDocker(dir);
        }
        if (Files.isRegularFile(dir.resolve("oci-layout"), LinkOption.NOFOLLOW_LINKS)) {
            return readOci(dir, platform);
        }
        if (Files.isRegularFile(dir.resolve("manifest.json"), LinkOption.NOFOLLOW_LINKS)) {
            return readDocker(dir);
        }
        throw BackendException.invalidArgument("%s is neither an OCI image layout (no oci-layout file) nor a docker save archive (no manifest.json)", dir);
    }

    private List<Found> readDocker(Path dir) throws IOException {
        List<Found> found = new ArrayList<>();
        for (JsonNode entry : JSON.readTree(inside(dir, "manifest.json").toFile())) {
            Path configFile = inside(dir, entry.path("Config").asText());
            byte[] config = Files.readAllBytes(configFile);
            JsonNode diffIds = JSON.readTree(config).path("rootfs").path("diff_ids");
            List<Layer> layers = new ArrayList<>();
            int index = 0;
            for (JsonNode layer : entry.path("Layers")) {
                Path file = inside(dir, layer.asText());
                // The digest needs no pass of its own: a blobs/sha256/<hex> path names it (newer
                // Docker), and a classic <id>/layer.tar is the uncompressed tar, so its diff_id.
                // The content store checks it either way while copying the layer in.
                String name = file.getFileName().toString();
                String digest = file.getParent().endsWith(Path.of("blobs", "sha256")) && ContentStore.isDigest("sha256:" + name)
                        ? "sha256:" + name : diffIds.path(index).asText("");
                if (!ContentStore.isDigest(digest)) {
                    throw BackendException.invalidArgument("%s: layer %s has no diff_id in the image config", dir, layer.asText());
                }
                layers.add(new Layer(file, digest, "application/vnd.docker.image.rootfs.diff.tar"));
                index++;
            }
            JsonNode tags = entry.path("RepoTags");
            if (tags.isEmpty()) {
                throw BackendException.invalidArgument("%s: image %s has no RepoTags; tag it before `docker save`", dir, entry.path("Config").asText());
            }
            for (JsonNode tag : tags) {
                found.add(new Found(ImageReference.parse(tag.asText()).toString(), ContentStore.sha256Of(config), config, layers, Optional.empty()));
            }
        }
        return found;
    }

    private List<Found> readOci(Path dir, String platform) throws IOException {
        List<Found> found = new ArrayList<>();
        for (JsonNode descriptor : JSON.readTree(inside(dir, "index.json").toFile()).path("manifests")) {
            String name = descriptor.path("annotations").path("io.containerd.image.name").asText("");
            String refName = descriptor.path("annotations").path("org.opencontainers.image.ref.name").asText("");
            if (name.isEmpty() && (refName.contains("/") || refName.contains("."))) {
                name = refName;
            }
            String digest = descriptor.path("digest").asText();
            if (name.isEmpty()) {
                throw BackendException.invalidArgument("%s: manifest %s has no full image name (annotation io.containerd.image.name, "
                        + "or org.opencontainers.image.ref.name holding registry/repository:tag)", dir, digest);
            }
            JsonNode manifest = JSON.readTree(blob(dir, digest).toFile());
            if (manifest.has("manifests")) {
                digest = choose(manifest, platform, dir, name);
                manifest = JSON.readTree(blob(dir, digest).toFile());
            }
            String configDigest = manifest.path("config").path("digest").asText();
            byte[] config = Files.readAllBytes(blob(dir, configDigest));
            List<Layer> layers = new ArrayList<>();
            for (JsonNode layer : manifest.path("layers")) {
                layers.add(new Layer(blob(dir, layer.path("digest").asText()), layer.path("digest").asText(), layer.path("mediaType").asText()));
            }
            found.add(new Found(ImageReference.parse(name).toString(), configDigest, config, layers, Optional.of(digest)));
        }
        return found;
    }

    private static String choose(JsonNode index, String platform, Path dir, String name) {
        String[] wanted = platform.split("/");
        for (JsonNode m : index.path("manifests")) {
            JsonNode p = m.path("platform");
            if (p.path("os").asText().equals(wanted[0]) && p.path("architecture").asText().equals(wanted[1])) {
                return m.path("digest").asText();
            }
        }
        throw BackendException.notFound("%s: image %s has no %s variant", dir, name, platform);
    }

    private static Path blob(Path dir, String digest) {
        if (!ContentStore.isDigest(digest)) {
            throw BackendException.invalidArgument("%s: unsupported digest \"%s\"", dir, digest);
        }
        return inside(dir, "blobs/sha256/" + digest.substring(7));
    }

    /** A path the archive names, refused when it leaves the archive or does not exist. */
    private static Path inside(Path dir, String relative) {
        Path p = dir.resolve(relative).normalize();
        if (!p.startsWith(dir) || relative.contains("..")) {
            throw BackendException.invalidArgument("%s: path \"%s\" leaves the archive", dir, relative);
        }
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            throw BackendException.invalidArgument("%s: \"%s\" is missing", dir, relative);
        }
        return p;
    }
}
