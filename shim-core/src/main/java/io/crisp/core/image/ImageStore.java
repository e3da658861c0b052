package io.crisp.core.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.core.image.ref.ImageReference;
import io.crisp.core.state.AtomicFiles;
import io.crisp.core.state.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Image metadata: one file per image under {@code <root>/images/meta/<id hex>.json}, written
 * atomically, versioned, loaded at start; reads are from memory.
 *
 * <p>Invariants:
 * <ol>
 *   <li>A tag names at most one image: tagging an image takes the tag from any other.</li>
 *   <li>A record is written only after every blob and layer it names is in place, so a crash
 *       never leaves a visible image with missing parts.</li>
 *   <li>Mutations are serialised on this object; readers see a consistent map.</li>
 * </ol>
 *
 * <p>ImageStatus and a container create look an image up by the name the kubelet pulled it by, a
 * stored tag or repo digest or the id as they are: an index of those names answers without
 * parsing the reference. {@link #version()} changes with every mutation, so an answer built from
 * the store (the ListImages bytes) can be kept until it does.
 */
public final class ImageStore {
    private static final Logger log = LoggerFactory.getLogger(ImageStore.class);
    private static final int VERSION = 1;
    private static final Pattern FULL_ID = Pattern.compile("(sha256:)?[a-f0-9]{64}");
    private static final Pattern ID_PREFIX = Pattern.compile("(sha256:)?[a-f0-9]{6,63}");

    private final Path metaDir;
    private final ObjectMapper json = Json.MAPPER;
    private final Map<String, ImageRecord> byId = new ConcurrentHashMap<>();
    /** Every stored id, tag and repo digest, exactly as stored; rebuilt on each mutation. */
    private volatile Map<String, ImageRecord> byName = Map.of();
    private volatile long version;

    public ImageStore(Path imagesRoot) {
        this.metaDir = imagesRoot.resolve("meta");
    }

    /** Loads every record; a file that cannot be read is reported and skipped, never fatal. */
    public void load() {
        try {
            Files.createDirectories(metaDir);
            AtomicFiles.removeLeftovers(metaDir); // a write the previous daemon was killed in
            try (DirectoryStream<Path> files = Files.newDirectoryStream(metaDir, "*.json")) {
                for (Path file : files) {
                    try {
                        JsonNode root = json.readTree(file.toFile());
                        int version = root.path("version").asInt(-1);
                        if (version != VERSION) {
                            log.error("Skipping {}: unknown image record version {} (this crisp reads version {})", file, version, VERSION);
                            continue;
                        }
                        ImageRecord image = json.treeToValue(root.get("image"), ImageRecord.class);
                        byId.put(image.id(), image);
                    } catch (IOException | RuntimeException e) {
                        log.error("Skipping unreadable image record {}: {}", file, e.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image records in " + metaDir + ": " + e.getMessage(), e);
        }
        changed();
        log.info("Loaded {} image(s) from {}", byId.size(), metaDir);
    }

    /** Changes whenever an image is stored, re-tagged or removed; read it before reading the store. */
    public long version() {
        return version;
    }

    /** After a mutation of {@code byId}: the name index anew, then a new version (readers read the version first). */
    private synchronized void changed() {
        Map<String, ImageRecord> names = new java.util.HashMap<>();
        for (ImageRecord image : byId.values()) {
            names.put(image.id(), image);
            image.repoDigests().forEach(d -> names.put(d, image));
        }
        // Tags last: a tag names one image (invariant 1), whatever a digest or id looks like.
        for (ImageRecord image : byId.values()) {
            image.repoTags().forEach(t -> names.put(t, image));
        }
        byName = Map.copyOf(names);
        version++;
    }

    public List<ImageRecord> list() {
        List<ImageRecord> all = new ArrayList<>(byId.values());
        all.sort(Comparator.comparing(ImageRecord::id));
        return all;
    }

    public Optional<ImageRecord> byId(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /**
     * Finds an image by id (full, or a unique prefix of at least 6 hex digits), by a tag, or by a
     * repo digest. Names are normalised as the kubelet does ({@code busybox} is
     * {@code docker.io/library/busybox:latest}).
     */
    public Optional<ImageRecord> find(String text) {
        ImageRecord exact = byName.get(text);
        if (exact != null) {
            return Optional.of(exact);
        }
        if (FULL_ID.matcher(text).matches()) {
            return Optional.ofNullable(byId.get(text.startsWith("sha256:") ? text : "sha256:" + text));
        }
        if (ID_PREFIX.matcher(text).matches()) {
            String prefix = text.startsWith("sha256:") ? text : "sha256:" + text;
            List<ImageRecord> matches = byId.values().stream().filter(i -> i.id().startsWith(prefix)).toList();
            if (matches.size() == 1) {
                return Optional.of(matches.get(0));
            }
        }
        ImageReference ref;
        try {
            ref = ImageReference.parse(text);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        if (ref.digest().isPresent()) {
            String repoDigest = ref.name() + "@" + ref.digest().get();
            return byId.values().stream().filter(i -> i.repoDigests().contains(repoDigest)).findFirst();
        }
        String tag = ref.toString();
        return byId.values().stream().filter(i -> i.repoTags().contains(tag)).findFirst();
    }

    /**
     * Stores {@code image} under its id, adding the given tag and repo digest to what the store
     * already has for that id, and taking the tag from any other image.
     */
    public synchronized ImageRecord put(ImageRecord image, Optional<String> tag, Optional<String> repoDigest) {
        ImageRecord existing = byId.get(image.id());
        Set<String> tags = new LinkedHashSet<>(existing == null ? image.repoTags() : existing.repoTags());
        Set<String> digests = new LinkedHashSet<>(existing == null ? image.repoDigests() : existing.repoDigests());
        tag.ifPresent(tags::add);
        repoDigest.ifPresent(digests::add);
        if (tag.isPresent()) {
            for (ImageRecord other : List.copyOf(byId.values())) {
                if (!other.id().equals(image.id()) && other.repoTags().contains(tag.get())) {
                    List<String> remaining = new ArrayList<>(other.repoTags());
                    remaining.remove(tag.get());
                    write(new ImageRecord(other.id(), remaining, other.repoDigests(), other.size(), other.config(), other.layers(),
                            other.pulledAtMillis()));
                }
            }
        }
        ImageRecord stored = new ImageRecord(image.id(), List.copyOf(tags), List.copyOf(digests), image.size(), image.config(),
                image.layers(), image.pulledAtMillis());
        write(stored);
        return stored;
    }

    /** Forgets an image; its blobs and layers are the caller's to collect. */
    public synchronized void remove(String id) {
        try {
            Files.deleteIfExists(file(id));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove image record " + file(id) + ": " + e.getMessage(), e);
        }
        byId.remove(id);
        changed();
    }

    private void write(ImageRecord image) {
        ObjectNode root = json.createObjectNode();
        root.put("version", VERSION);
        root.set("image", json.valueToTree(image));
        try {
            AtomicFiles.write(file(image.id()), json.writeValueAsBytes(root));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write image record " + file(image.id()) + ": " + e.getMessage(), e);
        }
        byId.put(image.id(), image);
        changed();
    }

    private Path file(String id) {
        return metaDir.resolve(id.substring("sha256:".length()) + ".json");
    }
}
