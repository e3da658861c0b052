package io.crisp.core.oci;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Device nodes as the OCI {@code linux.devices} entries describe them, read with stat(2): one node,
 * or every node below the host's {@code /dev} (what a privileged container gets, as CRI-O and
 * containerd give it).
 */
public final class DeviceNodes {
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;
    /**
     * Directories of /dev a privileged container does not take from the host: its own devpts, shm and
     * mqueue are mounted there, fd is a link to /proc, the rest belong to other container managers.
     */
    private static final Set<String> SKIPPED_DIRS = Set.of("pts", "shm", "mqueue", "fd", ".lxc", ".lxd-mounts", ".udev");
    /**
     * The container's console is its own (a pty from conmon), never the host's; its /dev/ptmx is the
     * one of its own devpts (the host's node would allocate terminals in the host's devpts).
     */
    private static final Set<String> SKIPPED_NODES = Set.of("console", "ptmx");

    private DeviceNodes() {}

    /** One device node: where it appears in the container, its type ("c" or "b"), numbers and mode. */
    public record Node(String containerPath, String type, long major, long minor, int mode, int uid, int gid) {}

    /** The node at {@code p} as {@code containerPath}; null when {@code p} is not a character or block device. */
    public static Node stat(Path p, String containerPath) throws IOException {
        int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        long rdev = (Long) Files.getAttribute(p, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
        String type = switch (mode & S_IFMT) {
            case S_IFCHR -> "c";
            case S_IFBLK -> "b";
            default -> null;
        };
        if (type == null) {
            return null;
        }
        int uid = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int gid = (Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
        return new Node(containerPath, type, major(rdev), minor(rdev), mode, uid, gid);
    }

    /** The major number of a dev_t (glibc's gnu_dev_major). */
    static long major(long rdev) {
        return ((rdev & 0xfff00L) >>> 8) | ((rdev & 0xfffff00000000000L) >>> 32);
    }

    /** The minor number of a dev_t (glibc's gnu_dev_minor). */
    static long minor(long rdev) {
        return (rdev & 0xffL) | ((rdev & 0xffffff00000L) >>> 12);
    }

    /**
     * Every character and block device below {@code dev} (the host's /dev), at the same path in the
     * container, in directory order; symbolic links, sockets, fifos and the skipped directories are left
     * out, and so are nodes that vanish or cannot be read while the tree is walked (udev may be busy).
     */
    static List<Node> host(Path dev) {
        List<Node> out = new ArrayList<>();
        walk(dev, Path.of("/dev"), out);
        return out;
    }

    private static void walk(Path dir, Path inContainer, List<Node> out) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    if (!SKIPPED_DIRS.contains(name)) {
                        walk(p, inContainer.resolve(name), out);
                    }
                    continue;
                }
                if (SKIPPED_NODES.contains(name) && inContainer.toString().equals("/dev")) {
                    continue;
                }
                try {
                    Node n = stat(p, inContainer.resolve(name).toString());
                    if (n != null) {
                        out.add(n);
                    }
                } catch (IOException e) {
                    // Gone or unreadable meanwhile: not a device the container can have.
                }
            }
        } catch (IOException e) {
            // An unreadable directory holds no device the container can have.
        }
    }
}
