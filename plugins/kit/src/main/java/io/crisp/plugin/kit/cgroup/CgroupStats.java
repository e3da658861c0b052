package io.crisp.plugin.kit.cgroup;

import static io.crisp.spi.model.ContainerStatsSample.UNKNOWN;

import io.crisp.spi.model.ContainerStatsSample;
import io.crisp.spi.model.ContainerStatsSample.MemoryUsage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads a container's resource use from its cgroup, the way the kubelet (cAdvisor) reads it:
 *
 * <table>
 *   <caption>Files read</caption>
 *   <tr><th>figure</th><th>cgroup v1</th><th>cgroup v2</th></tr>
 *   <tr><td>CPU</td><td>{@code cpuacct.usage}</td><td>{@code cpu.stat usage_usec} &times; 1000</td></tr>
 *   <tr><td>usage</td><td>{@code memory.usage_in_bytes}</td><td>{@code memory.current}</td></tr>
 *   <tr><td>limit</td><td>{@code memory.limit_in_bytes} (huge: none)</td><td>{@code memory.max} ("max": none)</td></tr>
 *   <tr><td>inactive file, rss, faults</td><td>{@code memory.stat total_inactive_file, total_rss,
 *       total_pgfault, total_pgmajfault} (else the keys without {@code total_})</td>
 *       <td>{@code memory.stat inactive_file, anon, pgfault, pgmajfault}</td></tr>
 *   <tr><td>processes</td><td>{@code pids.current}</td><td>{@code pids.current}</td></tr>
 * </table>
 *
 * Working set is usage minus inactive file pages (never below 0); available is limit minus working
 * set when there is a limit. A file that is missing gives {@link ContainerStatsSample#UNKNOWN} for
 * its figures. Reading spawns nothing and parses a few small files; {@link #locate} the directories
 * once per container and keep the {@link Location}. Thread-safe.
 */
public final class CgroupStats {
    /** v1 reports "no limit" as the largest page-aligned counter; anything this big is no limit. */
    private static final long V1_NO_LIMIT = 1L << 62;

    private final CgroupMounts mounts;
    private final Clock clock;

    /** The resolved cgroup directories of one container; {@code null}-free, paths may be absent. */
    public record Location(String cgroupPath, boolean unified, Optional<Path> cpu, Optional<Path> memory,
            Optional<Path> pids) {
        public Location {
            Objects.requireNonNull(cgroupPath, "cgroupPath is null");
            Objects.requireNonNull(cpu, "cpu is null");
            Objects.requireNonNull(memory, "memory is null");
            Objects.requireNonNull(pids, "pids is null");
        }
    }

    public CgroupStats(CgroupMounts mounts) {
        this(mounts, Clock.systemUTC());
    }

    public CgroupStats(CgroupMounts mounts, Clock clock) {
        this.mounts = Objects.requireNonNull(mounts, "mounts is null");
        this.clock = Objects.requireNonNull(clock, "clock is null");
    }

    /** A reader of this host's cgroups ({@link CgroupMounts#system()}). */
    public static CgroupStats system() {
        return new CgroupStats(CgroupMounts.system());
    }

    public CgroupMounts mounts() {
        return mounts;
    }

    /**
     * Finds the directories of the cgroup named by an OCI {@code linux.cgroupsPath}.
     *
     * @throws IllegalArgumentException if {@code cgroupsPath} is malformed (see {@link CgroupPath})
     * @throws NoSuchFileException naming the directory, if a mounted hierarchy lacks the cgroup, or
     *     if no cgroup hierarchy is mounted at all
     */
    public Location locate(String cgroupsPath) throws NoSuchFileException {
        String path = CgroupPath.resolve(cgroupsPath);
        if (mounts.isEmpty()) {
            throw new NoSuchFileException(path, null, "no cgroup hierarchy is mounted (see /proc/self/mountinfo)");
        }
        Location loc;
        if (mounts.isUnified()) {
            Optional<Path> dir = mounts.unifiedDir(path);
            loc = new Location(path, true, dir, dir, dir);
        } else {
            loc = new Location(path, false, mounts.v1Dir("cpuacct", path), mounts.v1Dir("memory", path),
                    mounts.v1Dir("pids", path));
        }
        for (Optional<Path> dir : List.of(loc.cpu(), loc.memory(), loc.pids())) {
            if (dir.isPresent() && !Files.isDirectory(dir.get())) {
                throw new NoSuchFileException(dir.get().toString(), null, "cgroup " + path + " does not exist");
            }
        }
        return loc;
    }

    /**
     * One sample of the cgroup at {@code location}.
     *
     * @throws NoSuchFileException naming the directory, if the cgroup is gone (the container exited)
     * @throws IOException if a file exists but cannot be read
     */
    public ContainerStatsSample read(String containerId, Location location) throws IOException {
        Instant now = clock.instant();
        long cpu;
        long usage;
        long limit;
        Map<String, Long> stat;
        if (location.unified()) {
            Path dir = location.memory().orElseThrow();
            cpu = scaled(statFile(dir.resolve("cpu.stat")).getOrDefault("usage_usec", UNKNOWN), 1000);
            usage = number(dir.resolve("memory.current"));
            String max = text(dir.resolve("memory.max"));
            limit = max == null || max.equals("max") ? UNKNOWN : parse(max, dir.resolve("memory.max"));
            stat = statFile(dir.resolve("memory.stat"));
        } else {
            cpu = number(location.cpu(), "cpuacct.usage");
            Optional<Path> mem = location.memory();
            usage = number(mem, "memory.usage_in_bytes");
            limit = number(mem, "memory.limit_in_bytes");
            if (limit >= V1_NO_LIMIT) {
                limit = UNKNOWN;
            }
            stat = mem.isPresent() ? v1Stat(statFile(mem.get().resolve("memory.stat"))) : Map.of();
        }
        long pids = number(location.pids(), "pids.current");
        if (cpu == UNKNOWN && usage == UNKNOWN && pids == UNKNOWN) {
            Path dir = location.memory().or(location::cpu).or(location::pids).orElse(Path.of(location.cgroupPath()));
            if (!Files.isDirectory(dir)) {
                throw new NoSuchFileException(dir.toString(), null, "cgroup " + location.cgroupPath() + " is gone");
            }
        }
        long inactiveFile = stat.getOrDefault("inactive_file", UNKNOWN);
        long workingSet = usage == UNKNOWN || inactiveFile == UNKNOWN ? UNKNOWN : Math.max(0, usage - inactiveFile);
        long available = limit == UNKNOWN || workingSet == UNKNOWN ? UNKNOWN : Math.max(0, limit - workingSet);
        String anonKey = location.unified() ? "anon" : "rss";
        MemoryUsage memory = new MemoryUsage(usage, workingSet, stat.getOrDefault(anonKey, UNKNOWN),
                stat.getOrDefault("pgfault", UNKNOWN), stat.getOrDefault("pgmajfault", UNKNOWN), available);
        long timestamp = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        return new ContainerStatsSample(containerId, timestamp, cpu, memory, pids);
    }

    /** v1 {@code memory.stat}: the hierarchical {@code total_} keys, else the cgroup's own, under the plain names. */
    private static Map<String, Long> v1Stat(Map<String, Long> raw) {
        Map<String, Long> out = new HashMap<>();
        for (String key : new String[] {"inactive_file", "rss", "pgfault", "pgmajfault"}) {
            Long value = raw.containsKey("total_" + key) ? raw.get("total_" + key) : raw.get(key);
            if (value != null) {
                out.put(key, value);
            }
        }
        return out;
    }

    private static long scaled(long value, long factor) {
        return value == UNKNOWN ? UNKNOWN : value * factor;
    }

    /** "key value" lines; an absent file is an empty map. */
    private static Map<String, Long> statFile(Path file) throws IOException {
        String text = text(file);
        Map<String, Long> out = new HashMap<>();
        if (text == null) {
            return out;
        }
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            int space = text.indexOf(' ', start);
            if (space > start && space < end) {
                try {
                    out.put(text.substring(start, space), Long.parseLong(text.substring(space + 1, end).trim()));
                } catch (NumberFormatException e) {
                    // A line that is not "key number": not one we read.
                }
            }
            start = end + 1;
        }
        return out;
    }

    private static long number(Optional<Path> dir, String name) throws IOException {
        return dir.isPresent() ? number(dir.get().resolve(name)) : UNKNOWN;
    }

    private static long number(Path file) throws IOException {
        String text = text(file);
        return text == null ? UNKNOWN : parse(text, file);
    }

    private static long parse(String text, Path file) throws IOException {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            // Counters are unsigned: a value past Long.MAX_VALUE is "no limit" or nonsense alike.
            if (text.chars().allMatch(Character::isDigit) && !text.isEmpty()) {
                return Long.MAX_VALUE;
            }
            throw new IOException(file + ": not a number: '" + text + "'");
        }
    }

    /** The trimmed content, or null if the file does not exist. */
    private static String text(Path file) throws IOException {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).trim();
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
