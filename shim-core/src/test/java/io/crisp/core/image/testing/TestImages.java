package io.crisp.core.image.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Real, runnable images for tests, built in memory from the host's {@code /bin/busybox} and pushed to a
 * {@link TestRegistry}. Everything is deterministic: the same inputs give the same bytes and digests
 * (fixed mtimes {@link #EPOCH}, uid/gid 0, entries in a fixed sorted order, gzip without a timestamp,
 * JSON with a fixed key order).
 *
 * <p>A busybox image has these layers, in this order:
 * <ol>
 *   <li>the root file system: directories {@code bin etc root tmp} ({@code tmp} mode 1777), {@code bin/busybox} (0755)
 *       with symlinks {@code bin/{cat,echo,id,ls,sh,sleep} -> busybox}, and {@code etc/passwd} and {@code etc/group}
 *       with root (0), nobody (65534) and alice (1000);</li>
 *   <li>{@code etc/crisp-test-layer} holding {@code "<repository>:<tag>\n"}, so each tag is a different image;</li>
 *   <li>optionally, filler layers of random (incompressible, but seeded by repository, tag and index, so stable)
 *       bytes, one file {@code crisp-filler/<i>.bin} each, for benchmarks. They are gzip with stored blocks.</li>
 * </ol>
 * Tar names carry no {@code ./} prefix, directories end in {@code /}, and the header mode holds the permission bits
 * only (no file type bits), as current Go {@code archive/tar} writes them.
 *
 * <pre>{@code
 * try (TestRegistry registry = TestRegistry.start(dir)) {
 *     BuiltImage oci = TestImages.pushOci(registry, "test/busybox", "oci");
 *     BuiltImage docker = TestImages.pushDockerSchema2(registry, "test/busybox", "docker");
 *     BuiltIndex index = TestImages.pushIndex(registry, "test/busybox", "multi", false);
 *     BuiltImage custom = TestImages.push(registry, TestImages.image(Format.OCI, "amd64", "test/custom", "v1",
 *             List.of(TestImages.layerTar(List.of(TarEntry.file("a.txt", 0644, "a".getBytes()))))));
 * }
 * }</pre>
 *
 * <p>The arm64 image of {@link #pushIndex} differs only in its config's {@code architecture}: its busybox is the
 * host's amd64 binary, fine for pulling, not for running on arm64.
 */
public final class TestImages {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    public static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    /** An {@code Accept} value naming all four manifest types, which distribution 2.8 needs to serve OCI manifests. */
    public static final String ACCEPT_ALL_MANIFESTS = String.join(", ", OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST);

    /** The mtime of every tar entry and the {@code created} time of every config. */
    public static final Instant EPOCH = Instant.parse("2024-01-01T00:00:00Z");
    /** Where the busybox layer comes from. */
    public static final Path BUSYBOX = Path.of("/bin/busybox");
    /** The busybox applets linked in {@code bin/}. */
    public static final List<String> APPLETS = List.of("cat", "echo", "id", "ls", "sh", "sleep");
    public static final String PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
            + "alice:x:1000:1000::/home/alice:/bin/sh\n";
    public static final String GROUP = "root:x:0:\nnobody:x:65534:\nalice:x:1000:\n";
    /** {@code config.Env} of every image. */
    public static final List<String> ENV = List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "CRISP_TEST=1");
    /** The path in layer 2 naming the image. */
    public static final String TAG_FILE = "etc/crisp-test-layer";

    private static final ObjectMapper JSON = new ObjectMapper();

    private TestImages() {
    }

    /** Which family of media types a manifest, its config and its layers use. */
    public enum Format {
        OCI(OCI_MANIFEST, OCI_INDEX, OCI_CONFIG, OCI_LAYER_GZIP),
        DOCKER(DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_CONFIG, DOCKER_LAYER_GZIP);

        public final String manifestType;
        public final String indexType;
        public final String configType;
        public final String layerType;

        Format(String manifestType, String indexType, String configType, String layerType) {
            this.manifestType = manifestType;
            this.indexType = indexType;
            this.configType = configType;
            this.layerType = layerType;
        }
    }

    /** Content addressed bytes: a config or a compressed layer. */
    public record Blob(String digest, String mediaType, long size, byte[] bytes) {
        public static Blob of(String mediaType, byte[] bytes) {
            return new Blob(TestRegistry.sha256(bytes), mediaType, bytes.length, bytes);
        }

        /** The descriptor a manifest uses for this blob. */
        Map<String, Object> descriptor() {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("mediaType", mediaType);
            d.put("digest", digest);
            d.put("size", size);
            return d;
        }
    }

    /**
     * An image manifest with its config and layers. {@code tag} is the tag it is (to be) pushed under, or null when it is
     * pushed by digest only (the children of an index).
     */
    public record BuiltImage(String repository, String tag, String manifestDigest, String manifestMediaType, byte[] manifest,
                             Blob config, List<Blob> layers) {
        /** {@code rootfs.diff_ids} of the config: the sha256 of each uncompressed layer tar. */
        public List<String> diffIds() {
            List<String> ids = new ArrayList<>();
            readTree(config.bytes()).path("rootfs").path("diff_ids").forEach(n -> ids.add(n.asText()));
            return ids;
        }

        /** {@code architecture} of the config. */
        public String architecture() {
            return readTree(config.bytes()).path("architecture").asText();
        }

        /** {@code host/repository:tag}, or {@code host/repository@digest} without a tag. */
        public String reference(TestRegistry registry) {
            return registry.host() + "/" + repository + (tag != null ? ":" + tag : "@" + manifestDigest);
        }

        BuiltImage withTag(String newTag) {
            return new BuiltImage(repository, newTag, manifestDigest, manifestMediaType, manifest, config, layers);
        }
    }

    /** A pushed image index (OCI) or manifest list (Docker) with its linux/amd64 and linux/arm64 images. */
    public record BuiltIndex(String repository, String tag, String indexDigest, String indexMediaType, byte[] index,
                             BuiltImage amd64, BuiltImage arm64) {
        /** The manifest digest per platform, keyed {@code linux/amd64} and {@code linux/arm64}. */
        public Map<String, String> manifestDigests() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("linux/amd64", amd64.manifestDigest());
            m.put("linux/arm64", arm64.manifestDigest());
            return m;
        }

        /** {@code host/repository:tag}. */
        public String reference(TestRegistry registry) {
            return registry.host() + "/" + repository + ":" + tag;
        }
    }

    /**
     * One tar entry for {@link #layerTar}: {@code type} is a {@link TarConstants} link flag, {@code mode} the permission
     * bits (with setuid/setgid/sticky), {@code link} the target of a symlink or hard link. Owner is always 0:0.
     */
    public record TarEntry(String name, byte type, int mode, byte[] content, String link) {
        public TarEntry {
            Objects.requireNonNull(name, "name");
            content = content == null ? new byte[0] : content;
        }

        /** A directory; a trailing {@code /} is added to the name if missing. */
        public static TarEntry dir(String name, int mode) {
            return new TarEntry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR, mode, null, null);
        }

        public static TarEntry file(String name, int mode, byte[] content) {
            return new TarEntry(name, TarConstants.LF_NORMAL, mode, content, null);
        }

        public static TarEntry file(String name, int mode, String content) {
            return file(name, mode, content.getBytes(StandardCharsets.UTF_8));
        }

        /** A symlink (mode 0777) to {@code target}, taken literally. */
        public static TarEntry symlink(String name, String target) {
            return new TarEntry(name, TarConstants.LF_SYMLINK, 0777, null, target);
        }

        /** A hard link to {@code target}, a name earlier in the same archive. */
        public static TarEntry hardlink(String name, String target, int mode) {
            return new TarEntry(name, TarConstants.LF_LINK, mode, null, target);
        }
    }

    // ---- building ---------------------------------------------------------------------------------------------

    /** An uncompressed tar of {@code entries}, in the order given, with owner 0:0 and mtime {@link #EPOCH}. */
    public static byte[] layerTar(List<TarEntry> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = tarStream(out)) {
            for (TarEntry e : entries) {
                TarArchiveEntry header = header(e.name(), e.type(), e.mode());
                if (e.link() != null) {
                    header.setLinkName(e.link());
                }
                if (e.type() == TarConstants.LF_NORMAL) {
                    header.setSize(e.content().length);
                }
                tar.putArchiveEntry(header);
                if (e.type() == TarConstants.LF_NORMAL) {
                    tar.write(e.content());
                }
                tar.closeArchiveEntry();
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }

    /** {@code data} gzip compressed (fast level, no name, mtime 0). */
    public static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
        try (OutputStream gz = gzipStream(out, Deflater.BEST_SPEED)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * An image of the given uncompressed layer tars (gzip compressed here) with the standard test config
     * (see {@link #configJson}); not pushed.
     */
    public static BuiltImage image(Format format, String architecture, String repository, String tag, List<byte[]> layerTars) {
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < layerTars.size(); i++) {
            byte[] tar = layerTars.get(i);
            layers.add(new Layer(TestRegistry.sha256(tar), gzip(tar), "layer " + i));
        }
        return assemble(format, architecture, repository, tag, layers);
    }

    /** The busybox image in OCI format for linux/amd64, with {@code fillerLayers} extra layers of {@code fillerBytesEach} bytes; not pushed. */
    public static BuiltImage busybox(String repository, String tag, int fillerLayers, int fillerBytesEach) {
        return busybox(Format.OCI, "amd64", repository, tag, fillerLayers, fillerBytesEach);
    }

    /** The busybox image in the given format, with {@code architecture} in its config; not pushed. */
    public static BuiltImage busybox(Format format, String architecture, String repository, String tag,
                                     int fillerLayers, int fillerBytesEach) {
        if (fillerLayers < 0 || fillerBytesEach < 0) {
            throw new IllegalArgumentException("filler layers and size must be >= 0");
        }
        List<Layer> layers = new ArrayList<>();
        layers.add(BusyboxLayer.LAYER);
        byte[] tagTar = layerTar(List.of(TarEntry.file(TAG_FILE, 0644, repository + ":" + tag + "\n")));
        layers.add(new Layer(TestRegistry.sha256(tagTar), gzip(tagTar), "crisp-test-layer " + repository + ":" + tag));
        for (int i = 0; i < fillerLayers; i++) {
            layers.add(filler(repository, tag, i, fillerBytesEach));
        }
        return assemble(format, architecture, repository, tag, layers);
    }

    /**
     * The config every test image has: linux, {@code architecture}, Env {@link #ENV}, Entrypoint null, Cmd [sh],
     * WorkingDir /, User "", Labels {io.crisp.test: busybox}, StopSignal SIGTERM, Volumes {/data}, and
     * {@code rootfs.diff_ids} with one history entry per layer.
     */
    public static byte[] configJson(String architecture, List<String> diffIds, List<String> history) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("Env", ENV);
        config.put("Entrypoint", null);
        config.put("Cmd", List.of("sh"));
        config.put("WorkingDir", "/");
        config.put("User", "");
        config.put("Labels", Map.of("io.crisp.test", "busybox"));
        config.put("StopSignal", "SIGTERM");
        config.put("Volumes", Map.of("/data", Map.of()));
        Map<String, Object> rootfs = new LinkedHashMap<>();
        rootfs.put("type", "layers");
        rootfs.put("diff_ids", diffIds);
        List<Map<String, Object>> hist = new ArrayList<>();
        for (String createdBy : history) {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("created", EPOCH.toString());
            h.put("created_by", createdBy);
            hist.add(h);
        }
        Map<String, Object> image = new LinkedHashMap<>();
        image.put("created", EPOCH.toString());
        image.put("architecture", architecture);
        image.put("os", "linux");
        image.put("config", config);
        image.put("rootfs", rootfs);
        image.put("history", hist);
        return json(image);
    }

    // ---- pushing ----------------------------------------------------------------------------------------------

    /** Pushes the config, the layers and then the manifest (under its tag, or by digest without one); returns {@code image}. */
    public static BuiltImage push(TestRegistry registry, BuiltImage image) {
        for (Blob layer : image.layers()) {
            registry.pushBlob(image.repository(), layer.bytes());
        }
        registry.pushBlob(image.repository(), image.config().bytes());
        String reference = image.tag() != null ? image.tag() : image.manifestDigest();
        registry.pushManifest(image.repository(), reference, image.manifestMediaType(), image.manifest());
        return image;
    }

    /** Pushes the busybox image as an OCI image manifest to {@code repository:tag}. */
    public static BuiltImage pushOci(TestRegistry registry, String repository, String tag) {
        return pushOci(registry, repository, tag, 0, 0);
    }

    /** Pushes the busybox image with filler layers as an OCI image manifest to {@code repository:tag}. */
    public static BuiltImage pushOci(TestRegistry registry, String repository, String tag, int fillerLayers, int fillerBytesEach) {
        return push(registry, busybox(Format.OCI, "amd64", repository, tag, fillerLayers, fillerBytesEach));
    }

    /** Pushes the busybox image as a Docker schema 2 manifest to {@code repository:tag}. */
    public static BuiltImage pushDockerSchema2(TestRegistry registry, String repository, String tag) {
        return pushDockerSchema2(registry, repository, tag, 0, 0);
    }

    /** Pushes the busybox image with filler layers as a Docker schema 2 manifest to {@code repository:tag}. */
    public static BuiltImage pushDockerSchema2(TestRegistry registry, String repository, String tag,
                                               int fillerLayers, int fillerBytesEach) {
        return push(registry, busybox(Format.DOCKER, "amd64", repository, tag, fillerLayers, fillerBytesEach));
    }

    /**
     * Pushes a linux/amd64 and a linux/arm64 busybox image by digest, then an OCI image index (or, with {@code docker},
     * a Docker manifest list of schema 2 images) naming both, to {@code repository:tag}.
     */
    public static BuiltIndex pushIndex(TestRegistry registry, String repository, String tag, boolean docker) {
        Format format = docker ? Format.DOCKER : Format.OCI;
        BuiltImage amd64 = push(registry, busybox(format, "amd64", repository, tag, 0, 0).withTag(null));
        BuiltImage arm64 = push(registry, busybox(format, "arm64", repository, tag, 0, 0).withTag(null));
        List<Map<String, Object>> manifests = new ArrayList<>();
        for (BuiltImage image : List.of(amd64, arm64)) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("mediaType", image.manifestMediaType());
            d.put("digest", image.manifestDigest());
            d.put("size", image.manifest().length);
            Map<String, Object> platform = new LinkedHashMap<>();
            platform.put("architecture", image.architecture());
            platform.put("os", "linux");
            d.put("platform", platform);
            manifests.add(d);
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", format.indexType);
        index.put("manifests", manifests);
        byte[] bytes = json(index);
        String digest = registry.pushManifest(repository, tag, format.indexType, bytes);
        return new BuiltIndex(repository, tag, digest, format.indexType, bytes, amd64, arm64);
    }

    // ---- internals --------------------------------------------------------------------------------------------

    /** A compressed layer with the digest of its uncompressed tar. */
    private record Layer(String diffId, byte[] gzip, String createdBy) {
    }

    /** The busybox root file system layer, built once per JVM. */
    private static final class BusyboxLayer {
        static final Layer LAYER = build();

        private static Layer build() {
            byte[] busybox;
            try {
                busybox = Files.readAllBytes(BUSYBOX);
            } catch (IOException e) {
                throw new AssertionError(BUSYBOX + " is unreadable: install the Debian package busybox-static", e);
            }
            List<TarEntry> entries = new ArrayList<>();
            entries.add(TarEntry.dir("bin", 0755));
            entries.add(TarEntry.file("bin/busybox", 0755, busybox));
            for (String applet : APPLETS) {
                entries.add(TarEntry.symlink("bin/" + applet, "busybox"));
            }
            entries.add(TarEntry.dir("etc", 0755));
            entries.add(TarEntry.file("etc/group", 0644, GROUP));
            entries.add(TarEntry.file("etc/passwd", 0644, PASSWD));
            entries.add(TarEntry.dir("root", 0700));
            entries.add(TarEntry.dir("tmp", 01777));
            byte[] tar = layerTar(entries);
            return new Layer(TestRegistry.sha256(tar), gzip(tar), "busybox from " + BUSYBOX);
        }
    }

    /** One file of seeded random bytes, streamed through the tar and gzip writers, never held whole as a tar. */
    private static Layer filler(String repository, String tag, int index, int size) {
        String name = "crisp-filler/" + index + ".bin";
        SplittableRandom random = new SplittableRandom(seed(repository + ":" + tag + "#" + index));
        ByteArrayOutputStream out = new ByteArrayOutputStream(size + 4096);
        MessageDigest sha = sha256Digest();
        try (TarArchiveOutputStream tar = tarStream(new DigestOutputStream(gzipStream(out, Deflater.NO_COMPRESSION), sha))) {
            tar.putArchiveEntry(header("crisp-filler/", TarConstants.LF_DIR, 0755));
            tar.closeArchiveEntry();
            TarArchiveEntry file = header(name, TarConstants.LF_NORMAL, 0644);
            file.setSize(size);
            tar.putArchiveEntry(file);
            byte[] chunk = new byte[64 * 1024];
            for (int left = size; left > 0; left -= chunk.length) {
                random.nextBytes(chunk);
                tar.write(chunk, 0, Math.min(left, chunk.length));
            }
            tar.closeArchiveEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String diffId = "sha256:" + HexFormat.of().formatHex(sha.digest());
        return new Layer(diffId, out.toByteArray(), "filler " + index + " of " + size + " random bytes");
    }

    /** The first 8 bytes of the sha256 of {@code text}. */
    private static long seed(String text) {
        byte[] d = sha256Digest().digest(text.getBytes(StandardCharsets.UTF_8));
        long seed = 0;
        for (int i = 0; i < 8; i++) {
            seed = (seed << 8) | (d[i] & 0xff);
        }
        return seed;
    }

    private static BuiltImage assemble(Format format, String architecture, String repository, String tag, List<Layer> layers) {
        List<Blob> blobs = new ArrayList<>();
        List<String> diffIds = new ArrayList<>();
        List<String> history = new ArrayList<>();
        for (Layer layer : layers) {
            blobs.add(Blob.of(format.layerType, layer.gzip()));
            diffIds.add(layer.diffId());
            history.add(layer.createdBy());
        }
        Blob config = Blob.of(format.configType, configJson(architecture, diffIds, history));
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", format.manifestType);
        manifest.put("config", config.descriptor());
        manifest.put("layers", blobs.stream().map(Blob::descriptor).toList());
        byte[] bytes = json(manifest);
        return new BuiltImage(repository, tag, TestRegistry.sha256(bytes), format.manifestType, bytes, config, List.copyOf(blobs));
    }

    private static TarArchiveOutputStream tarStream(OutputStream out) {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name());
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        return tar;
    }

    private static TarArchiveEntry header(String name, byte type, int mode) {
        TarArchiveEntry entry = new TarArchiveEntry(name, type);
        entry.setMode(mode & 07777);
        entry.setIds(0, 0);
        entry.setNames("root", "root");
        entry.setModTime(EPOCH.toEpochMilli());
        return entry;
    }

    private static OutputStream gzipStream(OutputStream out, int level) throws IOException {
        return new GZIPOutputStream(out, 64 * 1024) {
            {
                def.setLevel(level);
            }
        };
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode readTree(byte[] json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
