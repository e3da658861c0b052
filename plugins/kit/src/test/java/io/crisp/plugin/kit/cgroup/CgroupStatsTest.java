package io.crisp.plugin.kit.cgroup;

import static io.crisp.spi.model.ContainerStatsSample.UNKNOWN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.model.ContainerStatsSample;
import io.crisp.spi.model.ContainerStatsSample.MemoryUsage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader against fake cgroup trees in a temporary directory. */
final class CgroupStatsTest {
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_700_000_000L, 5), ZoneOffset.UTC);
    private static final String V1_NO_LIMIT = "9223372036854771712";

    @TempDir
    Path root;

    @Test
    void v1CgroupfsWithLimit() throws IOException {
        Path cpu = write(root.resolve("cpuacct/crisp/crisp-c1"), "cpuacct.usage", "123456789\n");
        Path mem = write(root.resolve("memory/crisp/crisp-c1"), "memory.usage_in_bytes", "100000\n");
        write(mem, "memory.limit_in_bytes", "300000\n");
        write(mem, "memory.stat", "cache 10\nrss 7\ninactive_file 1\npgfault 2\npgmajfault 3\n"
                + "total_cache 40000\ntotal_rss 50000\ntotal_inactive_file 30000\ntotal_pgfault 900\ntotal_pgmajfault 4\n");
        write(root.resolve("pids/crisp/crisp-c1"), "pids.current", "3\n");

        CgroupStats stats = new CgroupStats(CgroupMounts.v1(root), CLOCK);
        CgroupStats.Location loc = stats.locate("/crisp/crisp-c1");
        assertFalse(loc.unified());
        assertEquals(Optional.of(cpu), loc.cpu());
        ContainerStatsSample s = stats.read("c1", loc);
        assertEquals("c1", s.containerId());
        assertEquals(1_700_000_000_000_000_005L, s.timestampNanos());
        assertEquals(123456789L, s.cpuUsageCoreNanos());
        assertEquals(new MemoryUsage(100000, 70000, 50000, 900, 4, 230000), s.memory());
        assertEquals(3, s.processCount());
    }

    @Test
    void v1WithoutLimitAndWithoutTotalKeys() throws IOException {
        write(root.resolve("cpuacct/a/b"), "cpuacct.usage", "5");
        Path mem = write(root.resolve("memory/a/b"), "memory.usage_in_bytes", "1000");
        write(mem, "memory.limit_in_bytes", V1_NO_LIMIT);
        write(mem, "memory.stat", "rss 600\ninactive_file 2000\npgfault 9\npgmajfault 1\n");
        Files.createDirectories(root.resolve("pids/a/b")); // no pids.current: unknown

        CgroupStats stats = new CgroupStats(CgroupMounts.v1(root), CLOCK);
        ContainerStatsSample s = stats.read("x", stats.locate("/a/b"));
        // Inactive file above usage (charged elsewhere): working set is 0, never negative.
        assertEquals(new MemoryUsage(1000, 0, 600, 9, 1, UNKNOWN), s.memory());
        assertEquals(UNKNOWN, s.processCount());
        assertEquals(5, s.cpuUsageCoreNanos());
    }

    @Test
    void v2SystemdPathWithLimitAndUnlimited() throws IOException {
        Path dir = root.resolve("kubepods.slice/kubepods-besteffort.slice/crisp-c2.scope");
        write(dir, "cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
        write(dir, "memory.current", "8192000\n");
        write(dir, "memory.max", "10000000\n");
        write(dir, "memory.stat", "anon 4096000\nfile 4096000\ninactive_file 192000\nactive_file 100\npgfault 77\npgmajfault 2\n");
        write(dir, "pids.current", "2\n");

        CgroupStats stats = new CgroupStats(CgroupMounts.unified(root), CLOCK);
        CgroupStats.Location loc = stats.locate("kubepods-besteffort.slice:crisp:c2");
        assertTrue(loc.unified());
        assertEquals(Optional.of(dir), loc.memory());
        ContainerStatsSample s = stats.read("c2", loc);
        assertEquals(2_500_000L, s.cpuUsageCoreNanos());
        assertEquals(new MemoryUsage(8192000, 8000000, 4096000, 77, 2, 2000000), s.memory());
        assertEquals(2, s.processCount());

        write(dir, "memory.max", "max\n");
        assertEquals(UNKNOWN, stats.read("c2", loc).memory().availableBytes());
    }

    @Test
    void missingFilesAreUnknownAndAMissingCgroupIsNamed() throws IOException {
        Path dir = write(root.resolve("only"), "memory.current", "10");
        CgroupStats stats = new CgroupStats(CgroupMounts.unified(root), CLOCK);
        ContainerStatsSample s = stats.read("o", stats.locate("/only"));
        assertEquals(UNKNOWN, s.cpuUsageCoreNanos());
        assertEquals(new MemoryUsage(10, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN), s.memory());
        assertEquals(UNKNOWN, s.processCount());

        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> stats.locate("/crisp/gone"));
        assertTrue(e.getMessage().contains(root.resolve("crisp/gone").toString()), e.getMessage());

        CgroupStats.Location loc = stats.locate("/only");
        Files.delete(dir.resolve("memory.current"));
        Files.delete(dir);
        e = assertThrows(NoSuchFileException.class, () -> stats.read("o", loc));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }

    @Test
    void mountinfoHybridV1WinsAndPureV2IsUnified() {
        Path v1 = root.resolve("v1");
        String hybrid = String.join("\n",
                "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
                "31 30 0:28 / " + v1 + "/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct",
                "34 30 0:31 / " + v1 + "/mem\\040ory rw,relatime - cgroup cgroup rw,memory",
                "38 30 0:35 /outer " + v1 + "/pids rw,relatime - cgroup cgroup rw,pids",
                "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd",
                "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw", "");
        CgroupMounts m = CgroupMounts.parse(hybrid);
        assertFalse(m.isUnified());
        assertEquals(Optional.of(v1.resolve("cpu,cpuacct/crisp/x")), m.v1Dir("cpuacct", "/crisp/x"));
        assertEquals(Optional.of(v1.resolve("mem ory/crisp/x")), m.v1Dir("memory", "/crisp/x"));
        // A mount showing a subtree (a container without its own cgroup namespace).
        assertEquals(Optional.of(v1.resolve("pids/crisp/x")), m.v1Dir("pids", "/outer/crisp/x"));
        assertEquals(Optional.empty(), m.v1Dir("blkio", "/crisp/x"));

        CgroupMounts pure = CgroupMounts.parse(
                "25 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n");
        assertTrue(pure.isUnified());
        assertEquals(Optional.of(Path.of("/sys/fs/cgroup/crisp/x")), pure.unifiedDir("/crisp/x"));

        assertTrue(CgroupMounts.parse("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n").isEmpty());
        CgroupStats none = new CgroupStats(CgroupMounts.parse(""));
        assertThrows(NoSuchFileException.class, () -> none.locate("/crisp/x"));
    }

    @Test
    void thisHostsMountsAreFound() {
        // Whatever the host has, parsing its mountinfo must not fail; a Linux CI box has cgroups.
        CgroupMounts m = CgroupMounts.system();
        if ("true".equals(System.getenv("CI"))) {
            assertFalse(m.isEmpty(), m.toString());
        }
    }

    private static Path write(Path dir, String name, String content) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(name), content);
        return dir;
    }
}
