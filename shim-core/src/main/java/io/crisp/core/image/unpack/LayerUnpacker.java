package io.crisp.core.image.unpack;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import io.crisp.core.state.FileTrees;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unpacks one OCI image layer into a directory of its own, laid out as an overlayfs lower directory
 * expects: an OCI whiteout {@code dir/.wh.NAME} becomes the character device 0/0 {@code dir/NAME},
 * and an opaque marker {@code dir/.wh..wh..opq} becomes the xattr {@code trusted.overlay.opaque=y} on
 * {@code dir}.
 *
 * <p>A layer is data from a registry, so every member name is treated as hostile. A name is a path
 * relative to the layer directory (a leading {@code /} or {@code ./} is dropped, as tar does), a
 * {@code ..} component is refused (see {@link EntryPath}), and before anything is created the
 * directories above it are walked from the layer root without following symlinks: a symlink there
 * refuses the layer ({@code layer entry "escape/pwned" would write through symlink "escape"}), while
 * a symlink in the member's own place is removed and replaced, never written through. Symlink
 * targets are stored as they are, absolute ones included: they are resolved inside the container's
 * root at run time, never here. Hardlink targets get the same checks as names and must be earlier
 * members of the same layer. The walk is not raced by anyone: the directory being filled is new,
 * private to this call (mode 0700) and only published, by an atomic rename, once complete.
 *
 * <p>Any failure removes everything this call created and throws {@link BackendException}:
 * INVALID_ARGUMENT for a layer that is malicious, corrupt or truncated (naming the member), INTERNAL
 * for a failure of the local file system or of the caller's stream, ALREADY_EXISTS when the target
 * directory exists.
 *
 * <p>Ownership, device nodes and trusted xattrs need root. xattrs other than {@code user.*} that
 * cannot be set ({@code security.*} refused by an LSM, a file system without support) are logged at
 * debug and skipped, so an image still runs where its capabilities cannot be stored; {@code user.*}
 * xattrs are part of the file and failing to set one fails the layer. {@code trusted.overlay.*} and
 * {@code user.overlay.*} from a layer are never set: overlayfs would take them for its own metadata
 * (redirects, opaque directories), which a layer may only express through OCI whiteouts.
 *
 * <p>The instance holds no state; one instance may unpack many layers at once.
 */
public final class LayerUnpacker {
    private static final Logger log = LoggerFactory.getLogger(LayerUnpacker.class);

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * Unpacks {@code layer} into {@code target}, which must not exist; its parent is created when
     * missing. The layer is built in a sibling directory {@code <target>.tmp-<random>} and renamed to
     * {@code target} when complete, so {@code target} either does not exist or holds the whole layer.
     *
     * @param layer a gzip, zstd or uncompressed tar stream, told apart by its first bytes; read to its
     *     end on success and never closed here: it stays the caller's
     * @param target the layer's own directory
     * @throws BackendException INVALID_ARGUMENT (bad layer), ALREADY_EXISTS (target exists) or
     *     INTERNAL (I/O failure); nothing is left behind
     */
    public UnpackResult unpack(InputStream layer, Path target) {
        Objects.requireNonNull(layer, "layer is null");
        Objects.requireNonNull(target, "target is null");
        Path destination = target.toAbsolutePath().normalize();
        Path parent = destination.getParent();
        if (parent == null) {
            throw BackendException.invalidArgument("layer directory %s has no parent directory", destination);
        }
        if (Files.exists(destination, NOFOLLOW_LINKS)) {
            throw alreadyExists(destination, null);
        }
        byte[] suffix = new byte[8];
        RANDOM.nextBytes(suffix);
        Path staging = parent.resolve(destination.getFileName() + ".tmp-" + HexFormat.of().formatHex(suffix));
        try {
            Files.createDirectories(parent);
            Files.createDirectory(staging, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "cannot create " + staging + " to unpack a layer into: " + describe(e), e);
        }
        try {
            UnpackResult result = new Unpacking(staging).run(layer);
            publish(staging, destination);
            log.debug("unpacked layer into {}: {} entries, {} bytes", destination, result.entries(), result.bytes());
            return result;
        } catch (RuntimeException | Error e) {
            discard(staging, e);
            throw e;
        }
    }

    /** Renames the finished layer into place; rename(2) would replace an empty directory, so look first. */
    private static void publish(Path staging, Path destination) {
        if (Files.exists(destination, NOFOLLOW_LINKS)) {
            throw alreadyExists(destination, null);
        }
        try {
            Files.move(staging, destination, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (Files.exists(destination, NOFOLLOW_LINKS)) {
                throw alreadyExists(destination, e);
            }
            throw new BackendException(Kind.INTERNAL, "cannot rename " + staging + " to " + destination + ": " + describe(e), e);
        }
    }

    private static BackendException alreadyExists(Path destination, Throwable cause) {
        return new BackendException(Kind.ALREADY_EXISTS, "layer directory " + destination + " exists already", cause);
    }

    private static void discard(Path staging, Throwable failure) {
        try {
            FileTrees.delete(staging);
        } catch (IOException e) {
            failure.addSuppressed(e);
            log.warn("cannot remove {} after a failed unpack: {}", staging, describe(e));
        }
    }

    static String describe(Throwable e) {
        if (e instanceof EOFException && e.getMessage() == null) {
            return "unexpected end of data";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    static BackendException invalid(String format, Object... args) {
        return BackendException.invalidArgument(format, args);
    }
}
