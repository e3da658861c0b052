package io.crisp.core.image.unpack;

import static io.crisp.core.image.unpack.EntryMetadata.attributes;
import static io.crisp.core.image.unpack.EntryMetadata.isWhiteout;
import static io.crisp.core.image.unpack.EntryMetadata.setMode;
import static io.crisp.core.image.unpack.EntryMetadata.setMtime;
import static io.crisp.core.image.unpack.EntryMetadata.setOwner;
import static io.crisp.core.image.unpack.EntryMetadata.setXattrs;
import static io.crisp.core.image.unpack.LayerUnpacker.describe;
import static io.crisp.core.image.unpack.LayerUnpacker.invalid;

import io.crisp.core.image.unpack.EntryMetadata.NodeType;
import io.crisp.core.state.AtomicFiles;
import io.crisp.core.state.FileTrees;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state of one unpack call of {@link LayerUnpacker}: the member being read, the directories whose
 * metadata waits until everything below them is written, and the checks that keep every write inside
 * the layer's directory.
 */
final class Unpacking {
    private static final Logger log = LoggerFactory.getLogger(Unpacking.class);
    private static final String WHITEOUT_PREFIX = ".wh.";
    private static final String OPAQUE_MARKER = ".wh..wh..opq";
    /** Other {@code .wh..wh.} names are aufs bookkeeping (hardlink directories), not content. */
    private static final String WHITEOUT_META_PREFIX = ".wh..wh.";
    private static final String OPAQUE_XATTR = "trusted.overlay.opaque";
    private static final int COPY_BUFFER = 64 * 1024;
    /** uid_t is 32 bits and chown takes (uid_t) -1 to mean "leave unchanged". */
    private static final long MAX_ID = 0xFFFF_FFFEL;
    private static final Set<PosixFilePermission> DIRECTORY_DEFAULT = PosixFilePermissions.fromString("rwxr-xr-x");

    /** A read from the layer stream that may fail because of the stream or because of its content. */
    @FunctionalInterface
    private interface LayerRead<T> {
        T get() throws IOException;
    }

    /** Owner, mode and mtime of a directory member, applied once everything below it is written. */
    private record DirectoryMetadata(long uid, long gid, int mode, FileTime mtime) {
    }

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
            if (source.failure() != null) {
                throw new BackendException(Kind.INTERNAL,
                        "cannot read the layer stream " + readingAt + ": " + describe(source.failure()), e);
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
}
