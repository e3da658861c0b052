package io.crisp.plugin.kata.io;

import io.crisp.plugin.kit.LibC;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/** Creates the named pipes a shim's stdio goes through: owner-only FIFOs in an owner-only directory. */
public final class Fifos {
    private static final int S_IFMT = 0170000;
    private static final int S_IFIFO = 0010000;

    private Fifos() {}

    /** Creates {@code dir} (and its parents) when absent, mode 0700. */
    public static void createDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
    }

    /** Makes a FIFO at {@code path}, mode 0600 whatever the umask; fails when something is there already. */
    public static void make(Path path) throws IOException {
        if (LibC.C.mkfifo(path.toString(), 0600) != 0) {
            int errno = LibC.errno();
            if (errno == LibC.EEXIST) {
                throw new FileAlreadyExistsException(path.toString());
            }
            throw new IOException("mkfifo " + path + " failed: errno " + errno);
        }
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    }

    /**
     * Makes one FIFO per name in {@code dir} (created when absent), replacing whatever a failed earlier
     * attempt left under those names; returns their paths in the order of {@code names}.
     */
    public static List<Path> makeAll(Path dir, List<String> names) throws IOException {
        createDirectory(dir);
        List<Path> made = new ArrayList<>(names.size());
        for (String name : names) {
            Path path = dir.resolve(name);
            Files.deleteIfExists(path);
            make(path);
            made.add(path);
        }
        return made;
    }

    /** True when {@code path} is a FIFO (not following a symlink). */
    public static boolean isFifo(Path path) {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & S_IFMT) == S_IFIFO;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
