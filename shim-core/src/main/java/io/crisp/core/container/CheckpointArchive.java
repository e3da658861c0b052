package io.crisp.core.container;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.core.state.Json;
import io.crisp.spi.BackendException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * The checkpoint archive in the layout CRI-O writes and checkpointctl reads: {@code checkpoint/}
 * (CRIU's images), {@code config.dump} (the container's name, image and times), {@code spec.dump}
 * (its OCI spec), {@code rootfs-diff.tar} (what it changed in its root filesystem: the overlay upper
 * directory less whiteouts) and {@code deleted.files} (a JSON list of the paths it deleted, the
 * whiteouts), plus CRIU's {@code dump.log} and {@code stats-dump}. Plain tar (no compression), as
 * CRI-O's. Unpacking refuses entries that leave the target directory, also through a symlink.
 */
final class CheckpointArchive {
    static final String IMAGES = "checkpoint";
    static final String CONFIG_DUMP = "config.dump";
    static final String SPEC_DUMP = "spec.dump";
    static final String ROOTFS_DIFF = "rootfs-diff.tar";
    static final String DELETED_FILES = "deleted.files";
    private static final ObjectMapper JSON = Json.MAPPER;

    private CheckpointArchive() {}

    /** Packs every file under {@code dir} (names relative to it) into the tar file {@code archive}. */
    static void pack(Path dir, Path archive) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(archive));
                TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            addTree(tar, dir, List.of());
            tar.finish();
        }
    }

    /**
     * Writes {@code rootfs-diff.tar} and {@code deleted.files} of an overlay upper directory into
     * {@code into}: each whiteout (a 0/0 character device) becomes a deleted path, the rest is packed.
     */
    static void writeRootfsDiff(Path upper, Path into) throws IOException {
        List<String> deleted = new ArrayList<>();
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(into.resolve(ROOTFS_DIFF)));
                TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            if (Files.isDirectory(upper)) {
                addTree(tar, upper, deleted);
            }
            tar.finish();
        }
        JSON.writeValue(into.resolve(DELETED_FILES).toFile(), deleted);
    }

    /** Applies a checkpoint's root filesystem changes (unpacked in {@code checkpointDir}) to {@code rootfs}. */
    static void applyRootfsDiff(Path checkpointDir, Path rootfs) throws IOException {
        Path diff = checkpointDir.resolve(ROOTFS_DIFF);
        if (Files.isRegularFile(diff)) {
            try (InputStream in = Files.newInputStream(diff)) {
                unpack(in, rootfs);
            }
        }
        Path deletedFile = checkpointDir.resolve(DELETED_FILES);
        if (Files.isRegularFile(deletedFile)) {
            for (String name : JSON.readValue(deletedFile.toFile(), String[].class)) {
                Path target = inside(rootfs, name);
                if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    io.crisp.core.state.FileTrees.delete(target);
                } else {
                    Files.deleteIfExists(target);
                }
            }
        }
    }

    /** Unpacks a tar stream into {@code target}: directories, regular files and symlinks, with modes, owners and times. */
    static void unpack(InputStream raw, Path target) throws IOException {
        Path root = target.toRealPath();
        TarArchiveInputStream tar = new TarArchiveInputStream(new BufferedInputStream(raw));
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
            Path path = inside(root, entry.getName());
            if (path.equals(root)) {
                continue;
            }
            if (!path.getParent().toRealPath().startsWith(root)) {
                throw BackendException.invalidArgument("checkpoint archive: entry %s leaves the target through a symlink", entry.getName());
            }
            if (entry.isDirectory()) {
                if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(path);
                    Files.createDirectory(path);
                }
            } else if (entry.isSymbolicLink()) {
                Files.deleteIfExists(path);
                Files.createSymbolicLink(path, Path.of(entry.getLinkName()));
                continue; // a symlink's own owner and times are not worth lchown/lutimes here
            } else if (entry.isFile()) {
                if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                    io.crisp.core.state.FileTrees.delete(path);
                }
                Files.copy(tar, path, StandardCopyOption.REPLACE_EXISTING);
            } else {
                continue; // devices, fifos, hard links: not written by a checkpoint of crisp's
            }
            Files.setPosixFilePermissions(path, permissions(entry.getMode()));
            Files.setAttribute(path, "unix:uid", (int) entry.getLongUserId(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(path, "unix:gid", (int) entry.getLongGroupId(), LinkOption.NOFOLLOW_LINKS);
            Files.setLastModifiedTime(path, FileTime.from(entry.getLastModifiedDate().toInstant()));
        }
    }

    /** {@code name} under {@code root}, refusing absolute names and {@code ..} that leave it. */
    static Path inside(Path root, String name) {
        String relative = name;
        while (relative.startsWith("/")) {
            relative = relative.substring(1);
        }
        Path path = root.resolve(relative).normalize();
        if (!path.startsWith(root)) {
            throw BackendException.invalidArgument("checkpoint archive: entry %s leaves its directory", name);
        }
        return path;
    }

    /** Adds the tree under {@code base}; whiteouts go to {@code whiteouts} (as "/path") instead when it is mutable. */
    private static void addTree(TarArchiveOutputStream tar, Path base, List<String> whiteouts) throws IOException {
        Files.walkFileTree(base, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (!dir.equals(base)) {
                    add(tar, base, dir, attrs);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isOther() && isWhiteout(file)) {
                    whiteouts.add("/" + base.relativize(file));
                } else {
                    add(tar, base, file, attrs);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static boolean isWhiteout(Path file) throws IOException {
        int mode = (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        long rdev = (Long) Files.getAttribute(file, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
        return (mode & 0170000) == 0020000 && rdev == 0; // S_IFCHR 0/0: overlayfs's whiteout
    }

    private static void add(TarArchiveOutputStream tar, Path base, Path file, BasicFileAttributes attrs) throws IOException {
        String name = base.relativize(file).toString();
        TarArchiveEntry entry;
        if (attrs.isSymbolicLink()) {
            entry = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
            entry.setLinkName(Files.readSymbolicLink(file).toString());
        } else if (attrs.isDirectory() || attrs.isRegularFile()) {
            entry = new TarArchiveEntry(file.toFile(), name + (attrs.isDirectory() ? "/" : ""));
        } else {
            return; // sockets, fifos, devices a container made: CRI-O's diff leaves them out too
        }
        entry.setMode((Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS));
        entry.setUserId((Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS));
        entry.setGroupId((Integer) Files.getAttribute(file, "unix:gid", LinkOption.NOFOLLOW_LINKS));
        entry.setModTime(attrs.lastModifiedTime());
        tar.putArchiveEntry(entry);
        if (attrs.isRegularFile()) {
            Files.copy(file, tar);
        }
        tar.closeArchiveEntry();
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_READ};
        for (int i = 0; i < order.length; i++) {
            if ((mode & (1 << i)) != 0) {
                set.add(order[i]);
            }
        }
        return set;
    }
}
