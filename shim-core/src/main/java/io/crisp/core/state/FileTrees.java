package io.crisp.core.state;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Deletes and measures directory trees that came from images, archives or containers, where any
 * symlink may point anywhere: walks never follow links.
 */
public final class FileTrees {
    private FileTrees() {}

    /**
     * Deletes a file, a symlink (never what it points to) or a whole directory tree; an absent path
     * is fine, and so is a file or directory another thread deletes meanwhile (a trash being emptied
     * beside). The walk goes through directory file descriptors ({@code openat} with
     * {@code O_NOFOLLOW}, {@code unlinkat}: the JDK's {@link SecureDirectoryStream}), so a link inside
     * the tree is removed, not entered, even when a directory is swapped for a link while the walk
     * runs (a container's writable layer, whose processes may still run): that makes it fail rather
     * than follow the link onto the host.
     */
    public static void delete(Path path) throws IOException {
        Path parentDir = path.toAbsolutePath().getParent();
        if (parentDir == null || !Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> parent = Files.newDirectoryStream(parentDir)) {
            if (!(parent instanceof SecureDirectoryStream<Path> secure)) {
                throw new IOException("this platform cannot delete " + path + " without following symlinks");
            }
            deleteEntry(secure, path.getFileName());
        } catch (NoSuchFileException gone) {
            // the parent went meanwhile, and the tree with it
        }
    }

    private static void deleteEntry(SecureDirectoryStream<Path> parent, Path name) throws IOException {
        try {
            BasicFileAttributes attributes = parent.getFileAttributeView(name, BasicFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS).readAttributes();
            if (attributes.isDirectory()) {
                try (SecureDirectoryStream<Path> dir = parent.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
                    List<Path> children = new ArrayList<>();
                    for (Path child : dir) {
                        children.add(child.getFileName());
                    }
                    for (Path child : children) {
                        deleteEntry(dir, child);
                    }
                }
                parent.deleteDirectory(name);
            } else {
                parent.deleteFile(name);
            }
        } catch (NoSuchFileException gone) {
            // deleted meanwhile
        }
    }

    /** What a tree holds: bytes of its regular files and its inodes, each inode counted once. */
    public record Usage(long bytes, long inodes) {}

    /**
     * Measures the tree under {@code root} (not counting {@code root} itself) as {@code du} does for
     * hard links: a file with several names (busybox's applets, layers sharing files) counts once, in
     * bytes and in inodes. Files that vanish during the walk are skipped.
     */
    public static Usage usage(Path root) throws IOException {
        Set<Object> seen = new HashSet<>();
        long[] totals = new long[2];
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (!dir.equals(root)) {
                    count(attrs);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                count(attrs);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }

            private void count(BasicFileAttributes attrs) {
                Object key = attrs.fileKey();
                if (key != null && !seen.add(key)) {
                    return;
                }
                totals[1]++;
                if (attrs.isRegularFile()) {
                    totals[0] += attrs.size();
                }
            }
        });
        return new Usage(totals[0], totals[1]);
    }
}
