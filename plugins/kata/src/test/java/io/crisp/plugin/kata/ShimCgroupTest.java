package io.crisp.plugin.kata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the shim's pid is written, on fake cgroup trees (ShimV2IT moves a real shim on this host's v1 tree). */
class ShimCgroupTest {
    @TempDir
    Path root;

    @Test
    void unifiedHostGetsOneWrite() throws Exception {
        Files.writeString(root.resolve("cgroup.controllers"), "cpu memory pids\n");
        ShimCgroup.join(root, 4242, "/kata_shims");
        assertEquals("4242", Files.readString(root.resolve("kata_shims/cgroup.procs")));
    }

    @Test
    void v1HostGetsAWritePerHierarchyAndSkipsSymlinksAndNonHierarchies() throws Exception {
        for (String h : new String[] {"memory", "cpu,cpuacct", "pids"}) {
            Files.createDirectories(root.resolve(h));
            Files.writeString(root.resolve(h).resolve("cgroup.procs"), "");
        }
        Files.createSymbolicLink(root.resolve("cpu"), root.resolve("cpu,cpuacct"));
        Files.createDirectories(root.resolve("not-a-hierarchy"));
        ShimCgroup.join(root, 77, "/kata_shims/a");
        assertEquals("77", Files.readString(root.resolve("memory/kata_shims/a/cgroup.procs")));
        assertEquals("77", Files.readString(root.resolve("cpu,cpuacct/kata_shims/a/cgroup.procs")));
        assertEquals("77", Files.readString(root.resolve("pids/kata_shims/a/cgroup.procs")));
        assertFalse(Files.exists(root.resolve("not-a-hierarchy/kata_shims")));
    }
}
