package io.crisp.plugin.kit.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

final class CgroupPathTest {
    @Test
    void cgroupfsPathsAreCleanedAbsolutePaths() {
        assertEquals("/crisp/crisp-abc", CgroupPath.resolve("/crisp/crisp-abc"));
        assertEquals("/kubepods/burstable/pod1/crisp-abc", CgroupPath.resolve("//kubepods/./burstable/pod1/crisp-abc/"));
        assertEquals("/", CgroupPath.resolve("/"));
    }

    @Test
    void systemdPathsExpandTheSliceAndNameTheScope() {
        assertEquals("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12.slice/crisp-abc.scope",
                CgroupPath.resolve("kubepods-burstable-pod12.slice:crisp:abc"));
        assertEquals("/system.slice/runc-abc.scope", CgroupPath.resolve(":runc:abc"));
        assertEquals("/machine.slice/abc.scope", CgroupPath.resolve("machine.slice::abc"));
        assertEquals("/crisp-abc.scope", CgroupPath.resolve("-.slice:crisp:abc"));
        assertEquals("/a.slice/a-b.slice/a-b-inner.slice", CgroupPath.resolve("a-b.slice:crisp:a-b-inner.slice"));
    }

    @Test
    void sliceExpansion() {
        assertEquals("/a.slice/a-b.slice/a-b-c.slice", CgroupPath.expandSlice("a-b-c.slice"));
        assertEquals("/user.slice", CgroupPath.expandSlice("user.slice"));
        assertEquals("/", CgroupPath.expandSlice("-.slice"));
        for (String bad : new String[] {"a", "a--b.slice", "-a.slice", "a-.slice", "a/b.slice", ".slice"}) {
            assertThrows(IllegalArgumentException.class, () -> CgroupPath.expandSlice(bad), bad);
        }
    }

    @Test
    void malformedPathsAreRefused() {
        for (String bad : new String[] {"", "relative/path", "a:b", "x.slice:p:", "/a/../b", "notaslice:p:n"}) {
            assertThrows(IllegalArgumentException.class, () -> CgroupPath.resolve(bad), bad);
        }
    }
}
