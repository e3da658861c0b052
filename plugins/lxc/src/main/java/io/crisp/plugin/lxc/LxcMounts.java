package io.crisp.plugin.lxc;

import com.fasterxml.jackson.databind.JsonNode;
import io.crisp.spi.BackendException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * config.json's {@code mounts}, {@code linux.devices}, {@code linux.maskedPaths} and
 * {@code linux.readonlyPaths} as LXC mount settings.
 *
 * <ul>
 *   <li>proc at /proc and sysfs at /sys: {@code lxc.mount.auto} ({@code proc:mixed} keeps /proc/sys and
 *       /proc/sysrq-trigger read-only when readonlyPaths asks for it; {@code sys:ro} or {@code sys:rw});
 *       cgroup at /sys/fs/cgroup: {@code cgroup:ro} or {@code cgroup:rw}.</li>
 *   <li>tmpfs at /dev: {@code lxc.autodev} (LXC's /dev with null, zero, full, random, urandom, tty, the
 *       /dev/fd and stdio links); devpts at /dev/pts: {@code lxc.pty.max} (LXC mounts a new instance).</li>
 *   <li>Everything else, in order: {@code lxc.mount.entry} lines in fstab form, relative targets,
 *       {@code create=dir} or {@code create=file}; propagation options go through as LXC reads them.</li>
 *   <li>linux.devices beyond LXC's defaults: bind mounts of the host's node with the same numbers.</li>
 *   <li>maskedPaths: /dev/null bound over files, an empty read-only tmpfs over directories;
 *       readonlyPaths: read-only bind mounts ({@code optional}: paths the kernel lacks are skipped).</li>
 *   <li>shared and rshared bind mounts: LXC turns the whole mount tree into slaves before it mounts, so a
 *       mount made in the container would never reach the host; the adapter's start puts a clone of the
 *       host mount (same peer group) over each one in the running container (open_tree + move_mount).</li>
 * </ul>
 */
final class LxcMounts {
    /** The nodes lxc.autodev creates. */
    private static final Set<String> AUTODEV = Set.of("/dev/null", "/dev/zero", "/dev/full", "/dev/random",
            "/dev/urandom", "/dev/tty", "/dev/console", "/dev/ptmx");
    /** What proc:mixed makes read-only by itself. */
    private static final Set<String> PROC_MIXED = Set.of("/proc/sys", "/proc/sysrq-trigger");

    private LxcMounts() {}

    /** The configuration lines, and the shared bind mounts (host source, container destination pairs) to re-share after start. */
    record Result(List<String> lines, List<String> reshare) {}

    static Result translate(String id, JsonNode spec, LxcHost host) {
        String field = "container " + id + ": ";
        List<String> out = new ArrayList<>();
        Set<String> auto = new LinkedHashSet<>();
        Set<String> readonly = new LinkedHashSet<>();
        spec.path("linux").path("readonlyPaths").forEach(p -> readonly.add(p.asText()));
        boolean autodev = false;
        boolean devpts = false;
        List<String> reshare = new ArrayList<>();
        int i = 0;
        for (JsonNode m : spec.path("mounts")) {
            String mField = field + "mounts[" + i++ + "]";
            String dest = m.path("destination").asText("");
            if (!dest.startsWith("/")) {
                throw BackendException.invalidArgument("%s.destination must be an absolute path, got '%s'", mField, dest);
            }
            String type = m.path("type").asText("");
            List<String> options = new ArrayList<>();
            m.path("options").forEach(o -> options.add(o.asText()));
            boolean ro = options.contains("ro");
            if (type.equals("proc") && dest.equals("/proc")) {
                auto.add(readonly.contains("/proc/sys") ? "proc:mixed" : "proc:rw");
            } else if (type.equals("sysfs") && dest.equals("/sys")) {
                auto.add(ro ? "sys:ro" : "sys:rw");
            } else if (type.equals("cgroup") && dest.equals("/sys/fs/cgroup")) {
                auto.add(ro ? "cgroup:ro:force" : "cgroup:rw:force");
            } else if (type.equals("tmpfs") && dest.equals("/dev")) {
                autodev = true;
            } else if (type.equals("devpts") && dest.equals("/dev/pts")) {
                devpts = true;
            } else {
                out.add(entry(mField, m, dest, type, options, host));
                if (options.contains("rshared") || options.contains("shared")) {
                    reshare.add(m.path("source").asText(""));
                    reshare.add(dest);
                }
            }
        }
        List<String> head = new ArrayList<>();
        head.add("lxc.autodev = " + (autodev ? 1 : 0));
        head.add("lxc.pty.max = " + (devpts ? 1024 : 0));
        if (!auto.isEmpty()) {
            head.add("lxc.mount.auto = " + String.join(" ", auto));
        }
        head.addAll(out);
        head.addAll(devices(field, spec.path("linux").path("devices"), host));
        for (JsonNode p : spec.path("linux").path("maskedPaths")) {
            String path = absolute(field + "linux.maskedPaths", p.asText(""));
            head.add(host.isDirectory(path)
                    ? "lxc.mount.entry = tmpfs " + fstab(path.substring(1)) + " tmpfs ro,nosuid,nodev,noexec,size=0,optional 0 0"
                    : "lxc.mount.entry = /dev/null " + fstab(path.substring(1)) + " none bind,optional 0 0");
        }
        for (String path : readonly) {
            absolute(field + "linux.readonlyPaths", path);
            if (auto.contains("proc:mixed") && PROC_MIXED.contains(path)) {
                continue;
            }
            head.add("lxc.mount.entry = " + fstab(path) + " " + fstab(path.substring(1)) + " none bind,ro,optional 0 0");
        }
        return new Result(head, reshare);
    }

    private static String entry(String field, JsonNode m, String dest, String type, List<String> options, LxcHost host) {
        String source = m.path("source").asText("");
        boolean bind = type.equals("bind") || options.contains("bind") || options.contains("rbind");
        List<String> opts = new ArrayList<>(options);
        if (bind) {
            if (!source.startsWith("/")) {
                throw BackendException.invalidArgument("%s.source of a bind mount must be an absolute host path, got '%s'",
                        field, source);
            }
            if (!opts.contains("bind") && !opts.contains("rbind")) {
                opts.add(0, "bind");
            }
            opts.add(host.isDirectory(source) ? "create=dir" : "create=file");
        } else {
            opts.add("create=dir");
        }
        String fsType = bind ? "none" : type.isEmpty() ? "none" : type;
        return "lxc.mount.entry = " + fstab(source.isEmpty() ? fsType : source) + " " + fstab(dest.substring(1)) + " "
                + fstab(fsType) + " " + fstab(String.join(",", opts)) + " 0 0";
    }

    /** Device nodes the process needs beyond LXC's own: the host's node with the same numbers, bound. */
    private static List<String> devices(String field, JsonNode devices, LxcHost host) {
        List<String> out = new ArrayList<>();
        int i = 0;
        for (JsonNode d : devices) {
            String dField = field + "linux.devices[" + i++ + "]";
            String path = absolute(dField + ".path", d.path("path").asText(""));
            if (AUTODEV.contains(path)) {
                continue;
            }
            String type = d.path("type").asText("");
            if (!type.equals("c") && !type.equals("b") && !type.equals("u")) {
                throw BackendException.invalidArgument("%s.type: the LXC backend binds character and block devices, got '%s'",
                        dField, type);
            }
            long major = d.path("major").asLong(-1);
            long minor = d.path("minor").asLong(-1);
            Optional<String> source = host.deviceNode(type.equals("b") ? 'b' : 'c', major, minor, path);
            if (source.isEmpty()) {
                throw BackendException.invalidArgument("%s: no device %s %d:%d on this host to bind at %s", dField, type,
                        major, minor, path);
            }
            out.add("lxc.mount.entry = " + fstab(source.get()) + " " + fstab(path.substring(1))
                    + " none bind,create=file 0 0");
        }
        return out;
    }

    private static String absolute(String field, String path) {
        if (!path.startsWith("/") || path.contains("\n")) {
            throw BackendException.invalidArgument("%s: '%s' is not an absolute path", field, path);
        }
        return path;
    }

    /** A field of an fstab line: blanks, backslashes and newlines as octal escapes, as getmntent reads them. */
    static String fstab(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case ' ' -> b.append("\\040");
                case '\t' -> b.append("\\011");
                case '\n' -> b.append("\\012");
                case '\\' -> b.append("\\134");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
