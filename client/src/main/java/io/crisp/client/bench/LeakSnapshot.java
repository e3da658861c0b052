package io.crisp.client.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a daemon and its pods hold on the host, as sets of names per kind, taken once before the load
 * and once after every pod was removed: whatever the second has and the first had not is a leak.
 * Kinds: mounts under the run's directory, network namespace pins, cgroups under the run's cgroup
 * parent (every hierarchy), processes whose command line names the run's directory (conmon, runc,
 * shims) or that sit in one of those cgroups, veths on the run's bridge, addresses host-local IPAM
 * holds, files (not directories) in the daemon's root and state (six levels deep), and the
 * daemon's descriptors that name a file under the run's directory.
 */
final class LeakSnapshot {
    /** Where the run's things are. {@code cgroupParent} is relative to each hierarchy's root. */
    record Places(Path work, Path root, Path state, String cgroupParent, String bridge, Path ipam, long daemonPid) {}

    private static final int FILE_DEPTH = 6;

    private final Map<String, TreeSet<String>> kinds;

    private LeakSnapshot(Map<String, TreeSet<String>> kinds) {
        this.kinds = kinds;
    }

    static LeakSnapshot take(Places p) {
        Map<String, TreeSet<String>> k = new LinkedHashMap<>();
        k.put("mounts", mounts(p.work()));
        k.put("netns pins", list(p.state().resolve("netns")));
        TreeSet<String> cgroups = cgroups(p.cgroupParent());
        k.put("cgroups", cgroups);
        k.put("processes", processes(p, cgroups));
        k.put("veths", list(Path.of("/sys/class/net", p.bridge(), "brif")));
        k.put("IPAM addresses", ipam(p.ipam()));
        TreeSet<String> files = new TreeSet<>();
        files.addAll(files(p.root(), "root/"));
        files.addAll(files(p.state(), "state/"));
        k.put("files", files);
        k.put("daemon fds on run files", daemonFiles(p));
        return new LeakSnapshot(k);
    }

    /** Per kind, what this snapshot has that {@code before} had not. */
    Map<String, List<String>> leaksSince(LeakSnapshot before) {
        Map<String, List<String>> leaks = new LinkedHashMap<>();
        for (Map.Entry<String, TreeSet<String>> e : kinds.entrySet()) {
            List<String> added = new ArrayList<>(e.getValue());
            added.removeAll(before.kinds.getOrDefault(e.getKey(), new TreeSet<>()));
            leaks.put(e.getKey(), added);
        }
        return leaks;
    }

    /** One line per kind: how many now, how many before, how many new, and up to 10 of the new. */
    static String format(LeakSnapshot before, LeakSnapshot after) {
        StringBuilder b = new StringBuilder();
        Map<String, List<String>> leaks = after.leaksSince(before);
        for (Map.Entry<String, List<String>> e : leaks.entrySet()) {
            List<String> added = e.getValue();
            b.append(String.format(Locale.ROOT, "  %-24s before %5d  after %5d  leaked %4d%s%n", e.getKey(),
                    before.kinds.get(e.getKey()).size(), after.kinds.get(e.getKey()).size(), added.size(),
                    added.isEmpty() ? "" : "  e.g. " + String.join(", ", added.subList(0, Math.min(10, added.size())))));
        }
        return b.toString();
    }

    int leakCount(LeakSnapshot before) {
        return leaksSince(before).values().stream().mapToInt(List::size).sum();
    }

    private static TreeSet<String> mounts(Path work) {
        TreeSet<String> out = new TreeSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                if (f.length > 4 && f[4].startsWith(work.toString() + "/")) {
                    out.add(f[4].substring(work.toString().length() + 1));
                }
            }
        } catch (IOException e) {
            out.add("(cannot read mountinfo: " + e.getMessage() + ")");
        }
        return out;
    }

    private static TreeSet<String> list(Path dir) {
        TreeSet<String> out = new TreeSet<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(f -> out.add(f.getFileName().toString()));
        } catch (IOException e) {
            out.add("(cannot list " + dir + ")");
        }
        return out;
    }

    /** Directories under the parent in every mounted hierarchy, as "controller:relative/path". */
    private static TreeSet<String> cgroups(String parent) {
        TreeSet<String> out = new TreeSet<>();
        for (Path hierarchy : cgroupHierarchies()) {
            Path top = hierarchy.resolve(parent);
            if (!Files.isDirectory(top)) {
                continue;
            }
            try (Stream<Path> s = Files.walk(top)) {
                s.filter(Files::isDirectory).filter(d -> !d.equals(top))
                        .forEach(d -> out.add(hierarchy.getFileName() + ":" + top.relativize(d)));
            } catch (IOException e) {
                // a cgroup removed while walking: not there
            }
        }
        return out;
    }

    /** Mount points of cgroup hierarchies (v1 controllers, the v2 unified tree), from /proc/self/mounts. */
    static List<Path> cgroupHierarchies() {
        List<Path> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && (f[2].equals("cgroup") || f[2].equals("cgroup2"))) {
                    out.add(Path.of(f[1]));
                }
            }
        } catch (IOException e) {
            // no cgroups to look at
        }
        return out;
    }

    private static TreeSet<String> processes(Places p, TreeSet<String> cgroups) {
        TreeSet<String> out = new TreeSet<>();
        long self = ProcessHandle.current().pid();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : (Iterable<Path>) procs.filter(x -> x.getFileName().toString().matches("\\d+"))::iterator) {
                long pid = Long.parseLong(proc.getFileName().toString());
                if (pid == self || pid == p.daemonPid()) {
                    continue;
                }
                try {
                    String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline"))).replace('\0', ' ');
                    String cgroup = Files.readString(proc.resolve("cgroup"));
                    boolean inRun = cmdline.contains(p.work().toString() + "/") && !cmdline.contains(KubeletLoad.class.getName());
                    boolean inCgroup = cgroup.contains("/" + p.cgroupParent() + "/");
                    if (inRun || inCgroup) {
                        out.add(Files.readString(proc.resolve("comm")).strip() + "[" + pid + "]");
                    }
                } catch (IOException e) {
                    // exited meanwhile
                }
            }
        } catch (IOException e) {
            out.add("(cannot list /proc)");
        }
        return out;
    }

    private static TreeSet<String> ipam(Path ipam) {
        TreeSet<String> out = new TreeSet<>();
        if (!Files.isDirectory(ipam)) {
            return out;
        }
        try (Stream<Path> s = Files.walk(ipam)) {
            s.filter(Files::isRegularFile).map(f -> f.getFileName().toString())
                    .filter(n -> n.matches("[0-9a-f.:]+")) // an address; not "lock" or "last_reserved_ip.0"
                    .forEach(out::add);
        } catch (IOException e) {
            out.add("(cannot walk " + ipam + ")");
        }
        return out;
    }

    private static TreeSet<String> files(Path dir, String prefix) {
        TreeSet<String> out = new TreeSet<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.walk(dir, FILE_DEPTH)) {
            // Directories are left out: the daemon makes some on first use (cni/results, runc's root).
            s.filter(f -> !Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS)).forEach(f -> out.add(prefix + dir.relativize(f)));
        } catch (IOException e) {
            out.add("(cannot walk " + dir + ": " + e.getMessage() + ")");
        }
        return out;
    }

    private static TreeSet<String> daemonFiles(Places p) {
        TreeSet<String> out = new TreeSet<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/" + p.daemonPid() + "/fd"))) {
            for (Path fd : (Iterable<Path>) s::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith(p.work().toString() + "/")) {
                        out.add(target.substring(p.work().toString().length() + 1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException e) {
            out.add("(cannot list the daemon's fds)");
        }
        return out;
    }
}
