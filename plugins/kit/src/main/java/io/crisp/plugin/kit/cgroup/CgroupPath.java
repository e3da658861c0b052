package io.crisp.plugin.kit.cgroup;

/**
 * Turns an OCI {@code linux.cgroupsPath} into the cgroup's path inside the hierarchy, the path
 * below each v1 controller's mount or below the v2 root.
 *
 * <ul>
 *   <li>cgroupfs form: an absolute path, {@code /kubepods/burstable/pod1/crisp-ID}, used as is
 *       (after removing empty and {@code .} elements);
 *   <li>systemd form: {@code SLICE:PREFIX:NAME}, the unit {@code PREFIX-NAME.scope} (or {@code NAME}
 *       itself when it ends in {@code .slice}) below the slice, whose name {@code a-b-c.slice} stands
 *       for {@code a.slice/a-b.slice/a-b-c.slice}; an empty slice means {@code system.slice} and
 *       {@code -.slice} the root, as runc's systemd driver has it.
 * </ul>
 *
 * A relative cgroupfs path (runc resolves it against its own cgroup) is refused: the reader cannot
 * know the runtime's cgroup.
 */
public final class CgroupPath {
    private CgroupPath() {}

    /**
     * The absolute cgroup path ("/" separated, starting with "/") named by {@code cgroupsPath}.
     *
     * @throws IllegalArgumentException for an empty, relative or malformed path
     */
    public static String resolve(String cgroupsPath) {
        if (cgroupsPath == null || cgroupsPath.isEmpty()) {
            throw new IllegalArgumentException("cgroups path is empty");
        }
        if (cgroupsPath.startsWith("/")) {
            return clean(cgroupsPath);
        }
        String[] parts = cgroupsPath.split(":", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("cgroups path '" + cgroupsPath
                    + "' is neither absolute (cgroupfs) nor slice:prefix:name (systemd)");
        }
        String slice = parts[0].isEmpty() ? "system.slice" : parts[0];
        String name = parts[2];
        if (name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException("cgroups path '" + cgroupsPath + "': bad unit name '" + name + "'");
        }
        String unit = name.endsWith(".slice") ? name : (parts[1].isEmpty() ? name : parts[1] + "-" + name) + ".scope";
        String parent = expandSlice(slice);
        return parent.equals("/") ? "/" + unit : parent + "/" + unit;
    }

    /**
     * The path of a systemd slice: {@code a-b-c.slice} is {@code /a.slice/a-b.slice/a-b-c.slice},
     * {@code -.slice} is {@code /}.
     *
     * @throws IllegalArgumentException if {@code slice} is not a valid slice name
     */
    public static String expandSlice(String slice) {
        String suffix = ".slice";
        if (!slice.endsWith(suffix) || slice.contains("/")) {
            throw new IllegalArgumentException("'" + slice + "' is not a systemd slice name");
        }
        if (slice.equals("-.slice")) {
            return "/";
        }
        String stem = slice.substring(0, slice.length() - suffix.length());
        if (stem.isEmpty() || stem.startsWith("-") || stem.endsWith("-") || stem.contains("--")) {
            throw new IllegalArgumentException("'" + slice + "' is not a valid systemd slice name");
        }
        StringBuilder path = new StringBuilder();
        int from = 0;
        while (true) {
            int dash = stem.indexOf('-', from);
            String prefix = dash < 0 ? stem : stem.substring(0, dash);
            path.append('/').append(prefix).append(suffix);
            if (dash < 0) {
                return path.toString();
            }
            from = dash + 1;
        }
    }

    private static String clean(String path) {
        StringBuilder out = new StringBuilder();
        for (String element : path.split("/")) {
            if (element.isEmpty() || element.equals(".")) {
                continue;
            }
            if (element.equals("..")) {
                throw new IllegalArgumentException("cgroups path '" + path + "' contains '..'");
            }
            out.append('/').append(element);
        }
        return out.length() == 0 ? "/" : out.toString();
    }
}
