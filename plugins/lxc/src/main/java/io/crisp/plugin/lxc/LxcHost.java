package io.crisp.plugin.lxc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** What the translation asks of the host: file kinds, device nodes, cgroup and LSM features. */
interface LxcHost {
    /** Whether {@code path} on the host is a directory (following links). */
    boolean isDirectory(String path);

    /** A host device node of this kind and numbers: {@code preferred} if it is one, else /dev/char|block/M:m. */
    Optional<String> deviceNode(char kind, long major, long minor, String preferred);

    /** cgroup v2 only (the unified hierarchy at /sys/fs/cgroup). */
    boolean cgroupV2();

    /** The v1 memory controller accounts swap (memory.memsw.* exists). */
    boolean swapAccounting();

    boolean apparmorEnabled();

    /** This machine. */
    static LxcHost system() {
        return new LxcHost() {
            @Override
            public boolean isDirectory(String path) {
                return Files.isDirectory(Path.of(path));
            }

            @Override
            public Optional<String> deviceNode(char kind, long major, long minor, String preferred) {
                for (String candidate : new String[] {preferred, "/dev/" + (kind == 'b' ? "block/" : "char/") + major + ":" + minor}) {
                    Path p = Path.of(candidate);
                    try {
                        if (Files.exists(p) && !Files.isDirectory(p) && Files.getAttribute(p, "unix:rdev") instanceof Long rdev
                                && major(rdev) == major && minor(rdev) == minor) {
                            return Optional.of(p.toRealPath().toString());
                        }
                    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
                        // Not a node we can read: try the next.
                    }
                }
                return Optional.empty();
            }

            @Override
            public boolean cgroupV2() {
                return Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
            }

            @Override
            public boolean swapAccounting() {
                return Files.exists(Path.of("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"));
            }

            @Override
            public boolean apparmorEnabled() {
                try {
                    return Files.readString(Path.of("/sys/module/apparmor/parameters/enabled")).trim().equals("Y");
                } catch (IOException e) {
                    return false;
                }
            }
        };
    }

    /** glibc's gnu_dev_major/minor on a dev_t. */
    static long major(long dev) {
        return ((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL);
    }

    static long minor(long dev) {
        return ((dev >>> 12) & 0xffffff00L) | (dev & 0xffL);
    }
}
