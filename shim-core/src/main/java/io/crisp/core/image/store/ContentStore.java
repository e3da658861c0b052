package io.crisp.core.image.store;

import io.crisp.core.state.AtomicFiles;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Blobs by digest under {@code <root>/images/blobs/sha256/<hex>}: manifests, configs and
 * compressed layers exactly as the registry served them.
 *
 * <p>Invariants:
 * <ol>
 *   <li>A blob is visible only once complete and verified: it is streamed into
 *       {@code ingest/<random>}, hashed while written, fsynced, checked against the expected
 *       digest and size, and only then renamed into place. A crash or a failed pull leaves at
 *       most a file in {@code ingest/}, which {@link #cleanIngest()} removes at start.</li>
 *   <li>Paths come only from validated digests, never from text a request carried.</li>
 * </ol>
 */
public final class ContentStore {
    private static final Pattern SHA256 = Pattern.compile("sha256:[a-f0-9]{64}");

    private final Path blobs;
    private final Path ingest;

    public ContentStore(Path imagesRoot) {
        this.blobs = imagesRoot.resolve("blobs").resolve("sha256");
        this.ingest = imagesRoot.resolve("ingest");
        try {
            Files.createDirectories(blobs);
            Files.createDirectories(ingest);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create content store in " + imagesRoot + ": " + e.getMessage(), e);
        }
    }

    /** Removes what interrupted writes left behind. Call once at start, before any pull. */
    public void cleanIngest() {
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(ingest)) {
            for (Path p : leftovers) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + ingest + ": " + e.getMessage(), e);
        }
    }

    public boolean has(String digest) {
        return Files.isRegularFile(path(digest));
    }

    public Path path(String digest) {
        if (!isDigest(digest)) {
            throw BackendException.invalidArgument("unsupported or malformed digest \"%s\" (crisp stores sha256 digests)", digest);
        }
        return blobs.resolve(digest.substring("sha256:".length()));
    }

    public InputStream open(String digest) throws IOException {
        return Files.newInputStream(path(digest));
    }

    public byte[] read(String digest) {
        try {
            return Files.readAllBytes(path(digest));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read blob " + digest + ": " + e.getMessage(), e);
        }
    }

    public long size(String digest) {
        try {
            return Files.size(path(digest));
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * Streams {@code in} into the store as {@code digest}. Returns at once if the blob is there.
     *
     * @param expectedSize the descriptor's size, or -1 when unknown
     * @throws BackendException INVALID_ARGUMENT when the content does not match digest or size; nothing is stored
     * @throws IOException when reading fails (the partial file is removed)
     */
    public void ingest(String digest, long expectedSize, InputStream in) throws IOException {
        Path target = path(digest);
        if (Files.isRegularFile(target)) {
            return;
        }
        Path tmp = Files.createTempFile(ingest, digest.substring(7, 19), ".part");
        try {
            MessageDigest sha = sha256();
            long written = 0;
            try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (expectedSize >= 0 && written + n > expectedSize) {
                        throw BackendException.invalidArgument("blob %s is larger than its descriptor's %d bytes", digest, expectedSize);
                    }
                    sha.update(buffer, 0, n);
                    try {
                        out.write(buffer, 0, n);
                    } catch (IOException e) {
                        throw AtomicFiles.naming(tmp, e);
                    }
                    written += n;
                }
            }
            String actual = digestOf(sha);
            if (expectedSize >= 0 && written != expectedSize) {
                throw BackendException.invalidArgument("blob %s has %d bytes, its descriptor says %d", digest, written, expectedSize);
            }
            if (!actual.equals(digest)) {
                throw BackendException.invalidArgument("blob content does not match its digest: expected %s, got %s", digest, actual);
            }
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                channel.force(true);
            } catch (IOException e) {
                throw AtomicFiles.naming(tmp, e);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("content store needs atomic rename within " + blobs, e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Stores bytes already in memory (a manifest), verifying them the same way. */
    public void ingest(String digest, byte[] content) {
        try {
            ingest(digest, content.length, new java.io.ByteArrayInputStream(content));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void delete(String digest) {
        try {
            Files.deleteIfExists(path(digest));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete blob " + digest + ": " + e.getMessage(), e);
        }
    }

    public static String sha256Of(byte[] content) {
        MessageDigest sha = sha256();
        sha.update(content);
        return digestOf(sha);
    }

    /** True for the digests crisp stores: {@code sha256:} and 64 lower-case hex digits. */
    public static boolean isDigest(String text) {
        return SHA256.matcher(text).matches();
    }

    /** Completes {@code sha} and writes it as a digest string, {@code sha256:<hex>}. */
    public static String digestOf(MessageDigest sha) {
        return "sha256:" + HexFormat.of().formatHex(sha.digest());
    }

    /** A fresh SHA-256 for hashing a stream as it passes. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
