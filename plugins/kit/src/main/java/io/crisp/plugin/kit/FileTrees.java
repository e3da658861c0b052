package io.crisp.plugin.kit;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** Deleting the directory trees a plugin owns. */
public final class FileTrees {
    private FileTrees() {}

    /**
     * Deletes {@code top} and everything under it, never following a symbolic link: a link is
     * deleted, not what it points to (also when {@code top} itself is one). A missing {@code top} is
     * fine, and so is a file or directory that another thread deletes meanwhile (a trash being
     * emptied beside). Deletes all it can and then throws the first failure, the others suppressed in it.
     */
    public static void deleteTree(Path top) throws IOException {
        if (!Files.exists(top, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        IOException[] first = {null};
        Files.walkFileTree(top, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                if (!(exc instanceof NoSuchFileException)) { // gone meanwhile: what this wants
                    keep(exc);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) {
                if (exc != null && !(exc instanceof NoSuchFileException)) {
                    keep(exc);
                }
                delete(dir);
                return FileVisitResult.CONTINUE;
            }

            private void delete(Path path) {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    keep(e);
                }
            }

            private void keep(IOException e) {
                if (first[0] == null) {
                    first[0] = e;
                } else {
                    first[0].addSuppressed(e);
                }
            }
        });
        if (first[0] != null) {
            throw first[0];
        }
    }
}
