package io.crisp.core.image.unpack;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import io.crisp.core.state.AtomicFiles;
import io.crisp.core.state.FileTrees;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
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

    private static final String WHITEOUT_PREFIX = ".wh.";
    private static final String OPAQUE_MARKER = ".wh..wh..opq";
    /** Other {@code .wh..wh.} names are aufs bookkeeping (hardlink directories), not content. */
    private static final String WHITEOUT_META_PREFIX = ".wh..wh.";
    private static final String OPAQUE_XATTR = "trusted.overlay.opaque";
    private static final String XATTR_PAX_PREFIX = "SCHILY.xattr.";
    private static final String USER_NAMESPACE = "user.";
    private static final int COPY_BUFFER = 64 * 1024;
    /** uid_t is 32 bits and chown takes (uid_t) -1 to mean "leave unchanged". */
    private static final long MAX_ID = 0xFFFF_FFFEL;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> DIRECTORY_DEFAULT = PosixFilePermissions.fromString("rwxr-xr-x");
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

    private static String describe(Throwable e) {
        if (e instanceof EOFException && e.getMessage() == null) {
            return "unexpected end of data";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static BackendException invalid(String format, Object... args) {
        return BackendException.invalidArgument(format, args);
    }

    /** What was found at a path, for the checks that decide how to treat it. */
    private enum NodeType {
        FILE, DIRECTORY, SYMLINK, OTHER
    }

    /** A read from the layer stream that may fail because of the stream or because of its content. */
    @FunctionalInterface
    private interface LayerRead<T> {
        T get() throws IOException;
    }

    /**
     * The caller's stream: it remembers whether a failure came from it (the network, the disk), so
     * such failures are told apart from a corrupt layer, and closing it does nothing.
     */
    private static final class SourceStream extends FilterInputStream {
        private IOException failure;

        SourceStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return in.read();
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public long skip(long n) throws IOException {
            try {
                return in.skip(n);
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public void close() {
            // The caller owns the stream.
        }
    }

    /** Owner, mode and mtime of a directory member, applied once everything below it is written. */
    private record DirectoryMetadata(long uid, long gid, int mode, FileTime mtime) {
    }

    /** The state of one unpack call. */
    private static final class Unpacking {
        private final Path root;
        private final Map<EntryPath, DirectoryMetadata> directories = new LinkedHashMap<>();
        private final byte[] buffer = new byte[COPY_BUFFER];
        private SourceStream source;
        private LayerCompression compression = LayerCompression.NONE;
        private String readingAt = "at its start";
        private long entries;
        private long bytes;

        Unpacking(Path root) {
            this.root = root;
        }

        UnpackResult run(InputStream layer) {
            source = new SourceStream(layer);
            BufferedInputStream buffered = new BufferedInputStream(source, COPY_BUFFER);
            compression = read(() -> LayerCompression.detect(buffered));
            InputStream decompressed = read(() -> compression.open(buffered));
            TarHeaderTap tap = new TarHeaderTap(decompressed);
            TarArchiveInputStream tar = new TarArchiveInputStream(tap, StandardCharsets.UTF_8.name());
            try {
                while (true) {
                    tap.startHeaders();
                    TarArchiveEntry entry = read(tar::getNextEntry);
                    if (entry == null) {
                        if (tap.endedInsideHeader()) {
                            throw invalid("%s layer is truncated %s: it ends inside a tar header", compression.label(), readingAt);
                        }
                        break;
                    }
                    Map<String, byte[]> rawXattrs = tap.finishHeaders();
                    readingAt = "in entry \"" + entry.getName() + "\"";
                    apply(entry, rawXattrs, tar);
                    while (read(() -> tar.read(buffer)) >= 0) {
                        // Data the member does not use (a hardlink's copy): skipped so the next header is aligned.
                    }
                    readingAt = "after entry \"" + entry.getName() + "\"";
                }
                // Read the compressed stream to its end: that checks the gzip trailer (CRC, size) and
                // lets a caller that hashes the stream see every byte.
                while (read(() -> tap.read(buffer)) >= 0) {
                    // discard the padding after the end-of-archive blocks
                }
                finishDirectories();
            } finally {
                release(tar);
            }
            return new UnpackResult(entries, bytes);
        }

        private static void release(Closeable stream) {
            try {
                stream.close();
            } catch (IOException e) {
                log.debug("closing the layer stream failed: {}", describe(e));
            }
        }

        /**
         * Runs a read of the layer and names what went wrong: the caller's stream (INTERNAL, the same
         * request may work again) or the data in it (INVALID_ARGUMENT, it will not).
         */
        private <T> T read(LayerRead<T> operation) {
            try {
                return operation.get();
            } catch (IOException | RuntimeException e) {
                if (source.failure != null) {
                    throw new BackendException(Kind.INTERNAL,
                            "cannot read the layer stream " + readingAt + ": " + describe(source.failure), e);
                }
                throw new BackendException(Kind.INVALID_ARGUMENT,
                        compression.label() + " layer is corrupt or truncated " + readingAt + ": " + describe(e), e);
            }
        }

        private void apply(TarArchiveEntry entry, Map<String, byte[]> rawXattrs, TarArchiveInputStream tar) {
            String name = entry.getName();
            if (entry.isGlobalPaxHeader() || entry.getLinkFlag() == 'V') {
                log.debug("layer entry \"{}\" is a tar volume or global header; skipped", name);
                return;
            }
            EntryPath path;
            try {
                path = EntryPath.parse(name);
            } catch (IllegalArgumentException e) {
                throw invalid("layer entry \"%s\" %s", name, e.getMessage());
            }
            entries++;
            try {
                if (path.isRoot()) {
                    if (!entry.isDirectory()) {
                        throw invalid("layer entry \"%s\" names the layer root but is not a directory", name);
                    }
                    directories.put(path, directoryMetadata(entry, name));
                    setXattrs(entry, name, root, rawXattrs, NodeType.DIRECTORY);
                    return;
                }
                String base = path.fileName();
                if (base.equals(OPAQUE_MARKER)) {
                    markOpaque(directory(path.parent(), name));
                    return;
                }
                if (base.startsWith(WHITEOUT_META_PREFIX)) {
                    log.debug("layer entry \"{}\" is aufs metadata; skipped", name);
                    return;
                }
                if (base.startsWith(WHITEOUT_PREFIX)) {
                    whiteout(entry, path, name);
                    return;
                }
                Path file = directory(path.parent(), name).resolve(base);
                if (entry.isDirectory()) {
                    directoryEntry(entry, name, path, file, rawXattrs);
                } else if (entry.isSymbolicLink()) {
                    symlink(entry, name, path, file, rawXattrs);
                } else if (entry.isLink()) {
                    hardlink(entry, name, path, file);
                } else if (entry.isCharacterDevice() || entry.isBlockDevice() || entry.isFIFO()) {
                    node(entry, name, path, file, rawXattrs);
                } else if (isRegular(entry)) {
                    regular(entry, name, path, file, rawXattrs, tar);
                } else {
                    byte flag = entry.getLinkFlag();
                    throw invalid("layer entry \"%s\" has tar type '%s', which crisp does not unpack", name,
                            flag >= 0x20 && flag < 0x7f ? String.valueOf((char) flag) : String.format("\\x%02x", flag & 0xff));
                }
            } catch (IOException e) {
                throw new BackendException(Kind.INTERNAL, "cannot unpack layer entry \"" + name + "\": " + describe(e), e);
            }
        }

        private static boolean isRegular(TarArchiveEntry entry) {
            byte flag = entry.getLinkFlag();
            return flag == '0' || flag == 0 || flag == '7' || entry.isSparse();
        }

        /**
         * The directory {@code dir}, walked from the layer root without following symlinks; missing
         * components are created (tar members need not list their parents).
         */
        private Path directory(EntryPath dir, String name) throws IOException {
            Path current = root;
            List<String> parts = dir.components();
            for (int i = 0; i < parts.size(); i++) {
                current = current.resolve(parts.get(i));
                BasicFileAttributes attributes = attributes(current);
                if (attributes == null) {
                    createDirectory(current);
                } else if (attributes.isSymbolicLink()) {
                    throw invalid("layer entry \"%s\" would write through symlink \"%s\"", name, String.join("/", parts.subList(0, i + 1)));
                } else if (!attributes.isDirectory()) {
                    if (!isWhiteout(current)) {
                        throw invalid("layer entry \"%s\" needs \"%s\" to be a directory, but an earlier entry made it something else",
                                name, String.join("/", parts.subList(0, i + 1)));
                    }
                    // This layer deleted the lower directory and now puts content there: a new, opaque one.
                    Files.delete(current);
                    createDirectory(current);
                    markOpaque(current);
                }
            }
            return current;
        }

        private static void createDirectory(Path dir) throws IOException {
            Files.createDirectory(dir);
            Files.setPosixFilePermissions(dir, DIRECTORY_DEFAULT);
        }

        /**
         * An OCI whiteout. It hides what lower layers have at that name, never what this layer has
         * (OCI image spec, "Whiteouts"): over a file of this layer it changes nothing, over a
         * directory of this layer it makes that directory opaque.
         */
        private void whiteout(TarArchiveEntry entry, EntryPath path, String name) throws IOException {
            String hidden = path.fileName().substring(WHITEOUT_PREFIX.length());
            if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
                throw invalid("layer entry \"%s\" is a whiteout that names no file", name);
            }
            Path node = directory(path.parent(), name).resolve(hidden);
            BasicFileAttributes existing = attributes(node);
            if (existing == null) {
                FileCommands.mknod(node, 'c', 0, 0);
                // The member's time, so that unpacking the same layer twice gives the same tree.
                setMtime(node, entry.getLastModifiedTime(), NodeType.OTHER);
            } else if (existing.isDirectory()) {
                markOpaque(node);
            } else {
                log.debug("layer entry \"{}\": this layer has \"{}\" already, which hides the lower one", name, path.sibling(hidden));
            }
        }

        private static void markOpaque(Path dir) throws IOException {
            FileCommands.setXattr(dir, OPAQUE_XATTR, new byte[] {'y'}, false);
        }

        private void directoryEntry(TarArchiveEntry entry, String name, EntryPath path, Path file, Map<String, byte[]> rawXattrs)
                throws IOException {
            DirectoryMetadata metadata = directoryMetadata(entry, name);
            BasicFileAttributes existing = attributes(file);
            if (existing == null || !existing.isDirectory()) {
                boolean overWhiteout = existing != null && isWhiteout(file);
                if (existing != null) {
                    remove(path, file);
                }
                createDirectory(file);
                if (overWhiteout) {
                    markOpaque(file);
                }
            }
            directories.put(path, metadata);
            setXattrs(entry, name, file, rawXattrs, NodeType.DIRECTORY);
        }

        private void regular(TarArchiveEntry entry, String name, EntryPath path, Path file, Map<String, byte[]> rawXattrs,
                TarArchiveInputStream tar) throws IOException {
            long uid = id(entry.getLongUserId(), "uid", name);
            long gid = id(entry.getLongGroupId(), "gid", name);
            replace(path, file);
            try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                int n;
                while ((n = read(() -> tar.read(buffer))) >= 0) {
                    out.write(buffer, 0, n);
                    bytes += n;
                }
            } catch (IOException e) {
                throw AtomicFiles.naming(file, e); // a full disk's ENOSPC names no file
            }
            setOwner(file, uid, gid);
            setMode(file, entry.getMode());
            setXattrs(entry, name, file, rawXattrs, NodeType.FILE);
            setMtime(file, entry.getLastModifiedTime(), NodeType.FILE);
        }

        private void symlink(TarArchiveEntry entry, String name, EntryPath path, Path file, Map<String, byte[]> rawXattrs)
                throws IOException {
            long uid = id(entry.getLongUserId(), "uid", name);
            long gid = id(entry.getLongGroupId(), "gid", name);
            String target = entry.getLinkName();
            if (target == null || target.isEmpty()) {
                throw invalid("layer entry \"%s\" is a symlink with an empty target", name);
            }
            Path targetPath;
            try {
                targetPath = Path.of(target);
            } catch (InvalidPathException e) {
                throw invalid("layer entry \"%s\" is a symlink to \"%s\", which cannot be a path: %s", name, target, e.getReason());
            }
            replace(path, file);
            if (targetPath.toString().equals(target)) {
                Files.createSymbolicLink(file, targetPath);
            } else {
                FileCommands.symlink(target, file);
            }
            setOwner(file, uid, gid);
            setXattrs(entry, name, file, rawXattrs, NodeType.SYMLINK);
            setMtime(file, entry.getLastModifiedTime(), NodeType.SYMLINK);
        }

        private void hardlink(TarArchiveEntry entry, String name, EntryPath path, Path file) throws IOException {
            String linkName = entry.getLinkName() == null ? "" : entry.getLinkName();
            EntryPath source;
            try {
                source = EntryPath.parse(linkName);
            } catch (IllegalArgumentException e) {
                throw invalid("layer entry \"%s\" is a hardlink to \"%s\", which %s", name, linkName, e.getMessage());
            }
            if (source.isRoot()) {
                throw invalid("layer entry \"%s\" is a hardlink to \"%s\", which is the layer root", name, linkName);
            }
            if (path.contains(source)) {
                throw invalid("layer entry \"%s\" is a hardlink to \"%s\", which the entry itself replaces", name, linkName);
            }
            Path existing = linkSource(source, name, linkName);
            replace(path, file);
            Files.createLink(file, existing);
        }

        /** The file a hardlink names: an earlier member, reached without passing a symlink. */
        private Path linkSource(EntryPath source, String name, String linkName) throws IOException {
            Path current = root;
            List<String> parts = source.components();
            for (int i = 0; i < parts.size(); i++) {
                current = current.resolve(parts.get(i));
                BasicFileAttributes attributes = attributes(current);
                if (attributes == null) {
                    throw invalid("layer entry \"%s\" is a hardlink to \"%s\", which does not exist in this layer", name, linkName);
                }
                boolean last = i == parts.size() - 1;
                if (!last && attributes.isSymbolicLink()) {
                    throw invalid("layer entry \"%s\" is a hardlink to \"%s\", reached through symlink \"%s\"",
                            name, linkName, String.join("/", parts.subList(0, i + 1)));
                }
                if (!last && !attributes.isDirectory()) {
                    throw invalid("layer entry \"%s\" is a hardlink to \"%s\", which does not exist in this layer", name, linkName);
                }
                if (last && attributes.isDirectory()) {
                    throw invalid("layer entry \"%s\" is a hardlink to \"%s\", which is a directory", name, linkName);
                }
            }
            return current;
        }

        private void node(TarArchiveEntry entry, String name, EntryPath path, Path file, Map<String, byte[]> rawXattrs)
                throws IOException {
            long uid = id(entry.getLongUserId(), "uid", name);
            long gid = id(entry.getLongGroupId(), "gid", name);
            char type = entry.isCharacterDevice() ? 'c' : entry.isBlockDevice() ? 'b' : 'p';
            int major = entry.getDevMajor();
            int minor = entry.getDevMinor();
            if (type != 'p' && (major < 0 || minor < 0)) {
                throw invalid("layer entry \"%s\" is a device node with invalid numbers %d:%d", name, major, minor);
            }
            replace(path, file);
            FileCommands.mknod(file, type, major, minor);
            setOwner(file, uid, gid);
            setMode(file, entry.getMode());
            setXattrs(entry, name, file, rawXattrs, NodeType.OTHER);
            setMtime(file, entry.getLastModifiedTime(), NodeType.OTHER);
        }

        /** A later member with the same name replaces the earlier one, as tar extraction does. */
        private void replace(EntryPath path, Path file) throws IOException {
            if (attributes(file) != null) {
                remove(path, file);
            }
        }

        private void remove(EntryPath path, Path file) throws IOException {
            FileTrees.delete(file);
            directories.keySet().removeIf(path::contains);
        }

        private void finishDirectories() {
            for (Map.Entry<EntryPath, DirectoryMetadata> e : directories.entrySet()) {
                EntryPath path = e.getKey();
                Path dir = path.isRoot() ? root : root.resolve(path.toString());
                DirectoryMetadata metadata = e.getValue();
                try {
                    BasicFileAttributes attributes = attributes(dir);
                    if (attributes == null || !attributes.isDirectory()) {
                        continue;
                    }
                    setOwner(dir, metadata.uid(), metadata.gid());
                    setMode(dir, metadata.mode());
                    setMtime(dir, metadata.mtime(), NodeType.DIRECTORY);
                } catch (IOException ex) {
                    throw new BackendException(Kind.INTERNAL,
                            "cannot set owner, mode or time of layer directory \"" + (path.isRoot() ? "." : path) + "\": " + describe(ex), ex);
                }
            }
            if (!directories.containsKey(new EntryPath(List.of()))) {
                try {
                    Files.setPosixFilePermissions(root, DIRECTORY_DEFAULT);
                } catch (IOException ex) {
                    throw new BackendException(Kind.INTERNAL, "cannot set the mode of " + root + ": " + describe(ex), ex);
                }
            }
        }

        private static DirectoryMetadata directoryMetadata(TarArchiveEntry entry, String name) {
            return new DirectoryMetadata(id(entry.getLongUserId(), "uid", name), id(entry.getLongGroupId(), "gid", name),
                    entry.getMode(), entry.getLastModifiedTime());
        }

        private static long id(long id, String what, String name) {
            if (id < 0 || id > MAX_ID) {
                throw invalid("layer entry \"%s\" has %s %d, outside 0..%d", name, what, id, MAX_ID);
            }
            return id;
        }

        /** lchown: a symlink gets the owner, not its target. */
        private static void setOwner(Path file, long uid, long gid) throws IOException {
            Files.setAttribute(file, "unix:uid", (int) uid, NOFOLLOW_LINKS);
            Files.setAttribute(file, "unix:gid", (int) gid, NOFOLLOW_LINKS);
        }

        /** After the owner: chown clears setuid and setgid. Never called on a symlink. */
        private static void setMode(Path file, int tarMode) throws IOException {
            int mode = tarMode & 07777;
            if ((mode & 07000) != 0) {
                FileCommands.chmod(file, mode);
            } else {
                Files.setPosixFilePermissions(file, permissions(mode));
            }
        }

        private static Set<PosixFilePermission> permissions(int mode) {
            Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
            PosixFilePermission[] order = {
                PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
            };
            for (int bit = 0; bit < order.length; bit++) {
                if ((mode & (1 << bit)) != 0) {
                    set.add(order[bit]);
                }
            }
            return set;
        }

        /**
         * Last, after content, owner, mode and xattrs. The JDK sets times through a file descriptor,
         * and opening a FIFO blocks until a writer comes while opening a device node talks to its
         * driver, so those get their time by path through {@code touch -h}. A symlink's time that
         * cannot be set is not worth failing the layer for.
         */
        private static void setMtime(Path file, FileTime mtime, NodeType type) throws IOException {
            if (mtime == null) {
                return;
            }
            if (type == NodeType.OTHER) {
                FileCommands.touch(file, mtime);
                return;
            }
            BasicFileAttributeView view = Files.getFileAttributeView(file, BasicFileAttributeView.class, NOFOLLOW_LINKS);
            try {
                view.setTimes(mtime, null, null);
            } catch (IOException | UnsupportedOperationException e) {
                if (type != NodeType.SYMLINK) {
                    throw e;
                }
                log.debug("cannot set the time of symlink {}: {}", file, describe(e));
            }
        }

        private void setXattrs(TarArchiveEntry entry, String name, Path file, Map<String, byte[]> rawXattrs, NodeType type)
                throws IOException {
            for (Map.Entry<String, String> header : entry.getExtraPaxHeaders().entrySet()) {
                if (!header.getKey().startsWith(XATTR_PAX_PREFIX)) {
                    continue;
                }
                String xattr = header.getKey().substring(XATTR_PAX_PREFIX.length());
                byte[] value = xattrValue(header.getKey(), header.getValue(), rawXattrs);
                if (value == null) {
                    log.warn("layer entry \"{}\": xattr {} has a binary value the tar reader could not keep; not set", name, xattr);
                } else if (xattr.startsWith("trusted.overlay.") || xattr.startsWith("user.overlay.")) {
                    log.warn("layer entry \"{}\": xattr {} not set: overlayfs would read it as its own metadata", name, xattr);
                } else if (xattr.startsWith(USER_NAMESPACE)) {
                    if (type != NodeType.FILE && type != NodeType.DIRECTORY) {
                        log.debug("layer entry \"{}\": xattr {} skipped: Linux keeps user xattrs on files and directories only", name, xattr);
                        continue;
                    }
                    UserDefinedFileAttributeView view = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class, NOFOLLOW_LINKS);
                    view.write(xattr.substring(USER_NAMESPACE.length()), ByteBuffer.wrap(value));
                } else {
                    try {
                        FileCommands.setXattr(file, xattr, value, type == NodeType.SYMLINK);
                    } catch (IOException e) {
                        log.debug("layer entry \"{}\": cannot set xattr {}, skipped: {}", name, xattr, describe(e));
                    }
                }
            }
        }

        /**
         * The bytes of an xattr: the raw PAX bytes when the tap kept them and they agree with what
         * commons-compress parsed, otherwise the parsed String in UTF-8 unless decoding it lost bytes
         * (null then).
         */
        private static byte[] xattrValue(String key, String parsed, Map<String, byte[]> rawXattrs) {
            if (rawXattrs != null) {
                byte[] raw = rawXattrs.get(key);
                if (raw != null && new String(raw, StandardCharsets.UTF_8).equals(parsed)) {
                    return raw;
                }
            }
            if (parsed.indexOf('\uFFFD') >= 0) {
                return null;
            }
            return parsed.getBytes(StandardCharsets.UTF_8);
        }

        private static BasicFileAttributes attributes(Path path) throws IOException {
            try {
                return Files.readAttributes(path, BasicFileAttributes.class, NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                return null;
            }
        }

        /** The overlayfs whiteout: a character device numbered 0/0. */
        private static boolean isWhiteout(Path path) throws IOException {
            Map<String, Object> attributes = Files.readAttributes(path, "unix:mode,rdev", NOFOLLOW_LINKS);
            return (((Integer) attributes.get("mode")) & 0170000) == 0020000 && ((Long) attributes.get("rdev")) == 0L;
        }
    }
}
