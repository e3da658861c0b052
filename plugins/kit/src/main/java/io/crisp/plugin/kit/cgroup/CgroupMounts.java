package io.crisp.plugin.kit.cgroup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the cgroup hierarchies that hold resource figures are mounted: the v1 {@code cpuacct},
 * {@code memory} and {@code pids} controllers, or the v2 (unified) hierarchy when none of those has
 * a v1 mount. On a hybrid host (v1 controllers plus a v2 mount without controllers, often at
 * {@code /sys/fs/cgroup/unified}) the v1 mounts win. Immutable.
 */
public final class CgroupMounts {
    /** The v1 controllers whose files the reader uses. */
    public static final List<String> V1_CONTROLLERS = List.of("cpuacct", "memory", "pids");

    private static volatile CgroupMounts system;

    private final Map<String, Mount> v1;
    private final Mount unified;

    /** A mount point and the cgroup path it shows (its mountinfo root, "/" but in a container). */
    private record Mount(Path point, String root) {
        Path dir(String cgroupPath) {
            String rel = cgroupPath;
            if (!root.equals("/") && (rel.equals(root) || rel.startsWith(root + "/"))) {
                rel = rel.substring(root.length());
            }
            rel = rel.startsWith("/") ? rel.substring(1) : rel;
            return rel.isEmpty() ? point : point.resolve(rel);
        }
    }

    private CgroupMounts(Map<String, Mount> v1, Mount unified) {
        this.v1 = Map.copyOf(v1);
        this.unified = unified;
    }

    /** This host's mounts, from {@code /proc/self/mountinfo}, read on first use only. */
    public static CgroupMounts system() {
        CgroupMounts m = system;
        if (m == null) {
            try {
                m = parse(Files.readString(Path.of("/proc/self/mountinfo")));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read /proc/self/mountinfo", e);
            }
            system = m;
        }
        return m;
    }

    /** The cgroup mounts listed in {@code mountinfo} text (the format of {@code /proc/PID/mountinfo}). */
    public static CgroupMounts parse(String mountinfo) {
        Map<String, Mount> v1 = new LinkedHashMap<>();
        Mount unified = null;
        for (String line : mountinfo.split("\n")) {
            String[] f = line.trim().split(" ");
            int dash = List.of(f).indexOf("-");
            if (dash < 6 || f.length < dash + 4) {
                continue;
            }
            String fsType = f[dash + 1];
            Mount mount = new Mount(Path.of(unescape(f[4])), unescape(f[3]));
            if (fsType.equals("cgroup2")) {
                // Prefer the conventional place when there is more than one.
                if (unified == null || mount.point().equals(Path.of("/sys/fs/cgroup"))) {
                    unified = mount;
                }
            } else if (fsType.equals("cgroup")) {
                for (String option : f[dash + 3].split(",")) {
                    if (V1_CONTROLLERS.contains(option)) {
                        v1.putIfAbsent(option, mount);
                    }
                }
            }
        }
        return new CgroupMounts(v1, unified);
    }

    /** A v1 layout with each controller mounted at {@code root/CONTROLLER} (tests, fake trees). */
    public static CgroupMounts v1(Path root) {
        Map<String, Mount> v1 = new LinkedHashMap<>();
        for (String c : V1_CONTROLLERS) {
            v1.put(c, new Mount(root.resolve(c), "/"));
        }
        return new CgroupMounts(v1, null);
    }

    /** A pure v2 layout with the unified hierarchy mounted at {@code root} (tests, fake trees). */
    public static CgroupMounts unified(Path root) {
        return new CgroupMounts(Map.of(), new Mount(root, "/"));
    }

    /** True when figures come from the v2 hierarchy: no v1 mount of cpuacct, memory or pids. */
    public boolean isUnified() {
        return v1.isEmpty() && unified != null;
    }

    /** True when neither v1 controllers nor a v2 hierarchy are mounted. */
    public boolean isEmpty() {
        return v1.isEmpty() && unified == null;
    }

    /** The directory of {@code cgroupPath} (absolute, see {@link CgroupPath}) in a v1 controller's hierarchy. */
    public Optional<Path> v1Dir(String controller, String cgroupPath) {
        return Optional.ofNullable(v1.get(controller)).map(m -> m.dir(cgroupPath));
    }

    /** The directory of {@code cgroupPath} in the v2 hierarchy. */
    public Optional<Path> unifiedDir(String cgroupPath) {
        return Optional.ofNullable(unified).map(m -> m.dir(cgroupPath));
    }

    @Override
    public String toString() {
        return isUnified() ? "cgroup v2 at " + unified.point() : "cgroup v1 " + v1;
    }

    /** mountinfo writes space, tab, newline and backslash as octal escapes. */
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7')) {
                out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
