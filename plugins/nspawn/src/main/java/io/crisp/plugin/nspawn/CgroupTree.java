package io.crisp.plugin.nspawn;

import io.crisp.plugin.kit.cgroup.CgroupPath;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Every cgroup hierarchy of the host (each v1 mount, named ones such as {@code name=systemd}
 * included, and the v2 mount), read once from mountinfo. A pod machine and an app are placed into
 * their spec's {@code cgroupsPath} in all of them before nspawn or the app runs: nspawn places its
 * payload under its own cgroup, and conmon finds an app's memory cgroup (OOM) through the app's pid.
 */
final class CgroupTree {
    /** One hierarchy: where it is mounted, the cgroup its mount shows, its controllers (v1) and whether it is v2. */
    record Hierarchy(Path point, String root, List<String> controllers, boolean unified) {
        boolean cpuset() {
            return controllers.contains("cpuset");
        }

        Path dir(String cgroup) {
            String rel = cgroup;
            if (!root.equals("/") && (rel.equals(root) || rel.startsWith(root + "/"))) {
                rel = rel.substring(root.length());
            }
            rel = rel.startsWith("/") ? rel.substring(1) : rel;
            return rel.isEmpty() ? point : point.resolve(rel);
        }
    }

    private final List<Hierarchy> hierarchies;

    CgroupTree(List<Hierarchy> hierarchies) {
        this.hierarchies = List.copyOf(hierarchies);
    }

    static CgroupTree system() {
        try {
            return parse(Files.readString(Path.of("/proc/self/mountinfo")));
        } catch (IOException e) {
            throw new BackendException(Kind.UNAVAILABLE, "cannot read /proc/self/mountinfo: " + e.getMessage(), e);
        }
    }

    /** The cgroup and cgroup2 mounts in mountinfo text; the first mount of a hierarchy wins. */
    static CgroupTree parse(String mountinfo) {
        List<Hierarchy> out = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (String line : mountinfo.split("\n")) {
            int dash = line.indexOf(" - ");
            if (dash < 0) {
                continue;
            }
            String[] left = line.substring(0, dash).split(" ");
            String[] right = line.substring(dash + 3).split(" ");
            if (left.length < 5 || right.length < 3) {
                continue;
            }
            String type = right[0];
            if (!type.equals("cgroup") && !type.equals("cgroup2")) {
                continue;
            }
            String key = type.equals("cgroup2") ? "unified" : controllers(right[2]);
            if (seen.contains(key)) {
                continue;
            }
            seen.add(key);
            out.add(new Hierarchy(Path.of(unescape(left[4])), unescape(left[3]),
                    List.of(key.split(",")), type.equals("cgroup2")));
        }
        return new CgroupTree(out);
    }

    List<Hierarchy> hierarchies() {
        return hierarchies;
    }

    boolean isEmpty() {
        return hierarchies.isEmpty();
    }

    /** The directories of the spec's cgroupsPath, one per hierarchy. */
    List<Path> dirs(String cgroupsPath) {
        String cgroup = resolve(cgroupsPath);
        return hierarchies.stream().map(h -> h.dir(cgroup)).toList();
    }

    /** The directory of the spec's cgroupsPath in the hierarchy that holds a file, by its controller prefix (memory.limit_in_bytes: memory; cgroup.controllers: v2). */
    Optional<Path> dir(String cgroupsPath, String file) {
        String cgroup = resolve(cgroupsPath);
        String controller = file.substring(0, file.indexOf('.'));
        for (Hierarchy h : hierarchies) {
            if (controller.equals("cgroup") ? h.unified : (h.controllers.contains(controller) || h.unified)) {
                if (h.unified && !controller.equals("cgroup") && hierarchies.stream().anyMatch(o -> o.controllers.contains(controller))) {
                    continue;
                }
                return Optional.of(h.dir(cgroup));
            }
        }
        return Optional.empty();
    }

    /**
     * Creates the cgroup in every hierarchy; in cpuset's, each new level gets its parent's cpus and
     * mems first (an empty cpuset refuses members).
     */
    List<Path> create(String cgroupsPath) {
        String cgroup = resolve(cgroupsPath);
        List<Path> dirs = new ArrayList<>();
        for (Hierarchy h : hierarchies) {
            Path dir = h.dir(cgroup);
            try {
                List<Path> missing = new ArrayList<>();
                for (Path p = dir; p != null && p.startsWith(h.point) && !Files.isDirectory(p); p = p.getParent()) {
                    missing.add(0, p);
                }
                for (Path p : missing) {
                    try {
                        Files.createDirectory(p);
                    } catch (java.nio.file.FileAlreadyExistsException raced) {
                        // Another pod created the shared parent meanwhile.
                    }
                }
                if (h.cpuset()) {
                    // Every level, not only those made here: another pod may have made a shared parent and
                    // not filled it yet (kubelet-load.sh, pods started 4 at a time under a new parent: ENOSPC).
                    List<Path> levels = new ArrayList<>();
                    for (Path p = dir; p != null && p.startsWith(h.point) && !p.equals(h.point); p = p.getParent()) {
                        levels.add(0, p);
                    }
                    for (Path p : levels) {
                        for (String f : List.of("cpuset.cpus", "cpuset.mems")) {
                            if (read(p.resolve(f)).isBlank()) {
                                Files.writeString(p.resolve(f), read(p.getParent().resolve(f)));
                            }
                        }
                    }
                }
            } catch (IOException e) {
                throw new BackendException(Kind.INTERNAL, "cannot create cgroup " + dir + ": " + e.getMessage(), e);
            }
            dirs.add(dir);
        }
        return dirs;
    }

    /**
     * Removes the cgroup and what nspawn made under it in every hierarchy, deepest first, killing
     * what still runs there: a cgroup with members, or just emptied, refuses rmdir (EBUSY) for a moment.
     */
    void remove(String cgroupsPath) {
        List<String> failures = new ArrayList<>();
        for (Path dir : dirs(cgroupsPath)) {
            List<Path> tree;
            try (Stream<Path> walk = Files.walk(dir)) {
                tree = walk.filter(Files::isDirectory).sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList();
            } catch (NoSuchFileException e) {
                continue;
            } catch (IOException | java.io.UncheckedIOException e) {
                failures.add(dir + ": " + e.getMessage());
                continue;
            }
            for (Path d : tree) {
                removeOne(d).ifPresent(failures::add);
            }
        }
        if (!failures.isEmpty()) {
            throw new BackendException(Kind.INTERNAL, "cannot remove cgroup " + cgroupsPath + ": " + String.join("; ", failures));
        }
    }

    private static Optional<String> removeOne(Path dir) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            killMembers(dir);
            try {
                Files.delete(dir);
                return Optional.empty();
            } catch (NoSuchFileException e) {
                return Optional.empty();
            } catch (FileSystemException e) {
                if (System.nanoTime() > deadline) {
                    return Optional.of(dir + ": " + e.getMessage());
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            } catch (IOException e) {
                return Optional.of(dir + ": " + e.getMessage());
            }
        }
    }

    private static void killMembers(Path dir) {
        try {
            for (String pid : Files.readAllLines(dir.resolve("cgroup.procs"))) {
                if (!pid.isBlank()) {
                    ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Gone already, or not a cgroup directory: rmdir tells.
        }
    }

    /** A kernel file's text (line by line: a size-0 pseudo file may read short with Files.readString). */
    private static String read(Path file) throws IOException {
        return String.join("\n", Files.readAllLines(file)).trim();
    }

    private static String resolve(String cgroupsPath) {
        try {
            return CgroupPath.resolve(cgroupsPath);
        } catch (IllegalArgumentException e) {
            throw BackendException.invalidArgument("linux.cgroupsPath: %s", e.getMessage());
        }
    }

    /** The controllers of a v1 mount from its super options (rw,memory or rw,name=systemd). */
    private static String controllers(String superOptions) {
        List<String> c = new ArrayList<>();
        for (String o : superOptions.split(",")) {
            if (!o.equals("rw") && !o.equals("ro") && !o.startsWith("release_agent") && !o.equals("clone_children")
                    && !o.equals("noprefix") && !o.startsWith("xattr") && !o.equals("nsdelegate")) {
                c.add(o);
            }
        }
        return String.join(",", c);
    }

    private static String unescape(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }
}
