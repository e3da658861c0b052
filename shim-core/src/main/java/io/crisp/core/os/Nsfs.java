package io.crisp.core.os;

import io.crisp.core.state.MountInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * nsfs, the file system every namespace file is on ({@code /proc/PID/ns/*} and their bind mounts):
 * whether a path holds a namespace now is one {@code lstat}, its device being nsfs's, instead of a
 * read of mountinfo, whose size grows with every pod's mounts. A path lookup goes through the mounts
 * on it, so only a namespace mounted there (the topmost mount) answers true; a symlink does not.
 * Where nsfs's device cannot be read (no /proc), the topmost mount in mountinfo says.
 */
public final class Nsfs {
    /** nsfs's device number, -1 when it cannot be read (no /proc). */
    private static final long DEVICE = device();

    private Nsfs() {}

    /** Whether {@link #holdsNamespace} can answer by lstat: false without /proc, and it reads mountinfo then. */
    public static boolean known() {
        return DEVICE >= 0;
    }

    /**
     * Whether what is at {@code point} now is a namespace file; false for a missing path or a plain file.
     *
     * @throws io.crisp.spi.BackendException when, without nsfs's device, mountinfo cannot be read either
     */
    public static boolean holdsNamespace(Path point) {
        if (!known()) {
            MountInfo.Mount top = MountInfo.lastAt(point.toString());
            return top != null && "nsfs".equals(top.fsType());
        }
        try {
            return ((Long) Files.getAttribute(point, "unix:dev", LinkOption.NOFOLLOW_LINKS)) == DEVICE;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static long device() {
        try {
            return (Long) Files.getAttribute(Path.of("/proc/self/ns/net"), "unix:dev");
        } catch (IOException | UnsupportedOperationException e) {
            return -1;
        }
    }
}
