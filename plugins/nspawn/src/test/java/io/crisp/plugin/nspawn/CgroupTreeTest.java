package io.crisp.plugin.nspawn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class CgroupTreeTest {
    private static final String HYBRID = """
            22 27 0:21 / /proc rw,relatime - proc proc rw
            31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate
            32 30 0:28 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd
            33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
            34 30 0:30 / /sys/fs/cgroup/cpuset rw,nosuid - cgroup cgroup rw,cpuset,clone_children
            35 30 0:31 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
            36 30 0:31 / /mnt/memory\\040again rw,nosuid - cgroup cgroup rw,memory
            """;

    @Test
    void everyHierarchyOnceNamedOnesAndTheUnifiedMountIncluded() {
        CgroupTree tree = CgroupTree.parse(HYBRID);
        List<Path> dirs = tree.dirs("/crisp/crisp-c1");
        assertEquals(List.of(Path.of("/sys/fs/cgroup/unified/crisp/crisp-c1"), Path.of("/sys/fs/cgroup/systemd/crisp/crisp-c1"),
                Path.of("/sys/fs/cgroup/cpu,cpuacct/crisp/crisp-c1"), Path.of("/sys/fs/cgroup/cpuset/crisp/crisp-c1"),
                Path.of("/sys/fs/cgroup/memory/crisp/crisp-c1")), dirs);
        assertTrue(tree.hierarchies().get(3).cpuset());
        assertTrue(tree.hierarchies().get(0).unified());
        assertFalse(tree.hierarchies().get(4).cpuset());
    }

    @Test
    void aSystemdCgroupsPathIsExpanded() {
        CgroupTree tree = CgroupTree.parse(HYBRID);
        assertEquals(Path.of("/sys/fs/cgroup/memory/kubepods.slice/kubepods-burstable.slice/crisp-c1.scope"),
                tree.dirs("kubepods-burstable.slice:crisp:c1").get(4));
    }

    /** On this host: the cgroup is made in every hierarchy (cpuset filled in), limited, and removed. */
    @Test
    void createLimitAndRemoveOnThisHost() throws Exception {
        NspawnTestHost.requireRoot();
        CgroupTree tree = CgroupTree.system();
        String path = "/crisp-nspawn-test-" + ProcessHandle.current().pid() + "/c1";
        try {
            List<Path> dirs = tree.create(path);
            assertEquals(tree.hierarchies().size(), dirs.size());
            dirs.forEach(d -> assertTrue(Files.isDirectory(d), d.toString()));
            new CgroupLimits(tree).apply(path, new ObjectMapper().readTree(
                    "{\"memory\":{\"limit\":67108864},\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000},"
                            + "\"pids\":{\"limit\":64},\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                            + "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"}]}"));
            Map<String, String> expect = tree.hierarchies().stream().allMatch(CgroupTree.Hierarchy::unified)
                    ? Map.of("memory.max", "67108864", "pids.max", "64", "cpu.max", "50000 100000")
                    : Map.of("memory.limit_in_bytes", "67108864", "pids.max", "64", "cpu.shares", "512",
                            "cpu.cfs_quota_us", "50000", "devices.list", "c 1:3 rwm");
            for (Map.Entry<String, String> e : expect.entrySet()) {
                Path dir = tree.dir(path, e.getKey()).orElseThrow();
                assertEquals(e.getValue(), Files.readString(dir.resolve(e.getKey())).trim(), e.getKey());
            }
        } finally {
            tree.remove(path);
            tree.remove(path.substring(0, path.lastIndexOf('/')));
        }
        for (Path d : tree.dirs(path)) {
            assertFalse(Files.exists(d.getParent()), d.getParent().toString());
        }
    }

    /** A shared parent another pod made but has not filled yet (a race of pods started at once): filled here too. */
    @Test
    void aSharedCpusetParentLeftEmptyByAnotherPodIsFilled() throws Exception {
        NspawnTestHost.requireRoot();
        CgroupTree tree = CgroupTree.system();
        CgroupTree.Hierarchy cpuset = tree.hierarchies().stream().filter(CgroupTree.Hierarchy::cpuset).findFirst().orElse(null);
        assumeTrue(cpuset != null, "only a cgroup v1 cpuset hierarchy has levels to fill");
        String parent = "/crisp-nspawn-test-" + ProcessHandle.current().pid() + "-shared";
        Path made = Files.createDirectory(cpuset.dir(parent)); // what the other pod did so far
        try {
            assertTrue(Files.readString(made.resolve("cpuset.mems")).isBlank(), "a new v1 cpuset starts empty");
            tree.create(parent + "/c1");
            for (String f : List.of("cpuset.cpus", "cpuset.mems")) {
                String top = Files.readString(cpuset.point().resolve(f)).trim();
                assertEquals(top, Files.readString(made.resolve(f)).trim(), f + " of the shared parent");
                assertEquals(top, Files.readString(made.resolve("c1").resolve(f)).trim(), f + " of the new cgroup");
            }
            Process sleeper = new ProcessBuilder("sleep", "30").start();
            try { // a member is refused (ENOSPC) while the cpuset is empty
                Files.writeString(made.resolve("c1").resolve("cgroup.procs"), Long.toString(sleeper.pid()));
            } finally {
                sleeper.destroyForcibly().waitFor();
            }
        } finally {
            tree.remove(parent + "/c1");
            tree.remove(parent);
        }
    }

    @Test
    void deviceRulesInOrderWithWildcards() throws Exception {
        assertEquals(List.of("deny a *:* rwm", "allow c 1:3 rw", "allow c 136:* rwm"), CgroupLimits.deviceRules(
                new ObjectMapper().readTree("[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":1,"
                        + "\"minor\":3,\"access\":\"rw\"},{\"allow\":true,\"type\":\"c\",\"major\":136,\"access\":\"rwm\"}]")));
    }
}
