package io.crisp.plugin.kit.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.NodeCheck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probes against directories laid out like a host's /proc, /sys and /dev, and once against this host. */
final class KernelProbesTest {
    private static final String CGROUPS = """
            #subsys_name\thierarchy\tnum_cgroups\tenabled
            cpu\t1\t4\t1
            cpuacct\t2\t4\t1
            memory\t4\t137\t1
            devices\t5\t4\t1
            freezer\t6\t4\t1
            pids\t8\t4\t1
            hugetlb\t0\t4\t0
            """;
    private static final List<String> RUNC = List.of("cpu", "cpuacct", "memory", "pids", "devices", "freezer");

    @TempDir
    Path root;

    private void write(String relative, String text) throws IOException {
        Path p = root.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    private static String v1(String point, String options) {
        return "30 23 0:30 / " + point + " rw,relatime shared:9 - cgroup cgroup " + options + "\n";
    }

    @Test
    void hybridHostWithEveryControllerIsOk() throws IOException {
        write("proc/cgroups", CGROUPS);
        write("proc/self/mountinfo", v1("/sys/fs/cgroup/cpu", "rw,cpu") + v1("/sys/fs/cgroup/cpuacct", "rw,cpuacct")
                + v1("/sys/fs/cgroup/memory", "rw,memory") + v1("/sys/fs/cgroup/devices", "rw,devices")
                + v1("/sys/fs/cgroup/freezer", "rw,freezer") + v1("/sys/fs/cgroup/pids", "rw,pids")
                + v1("/sys/fs/cgroup/systemd", "rw,xattr,name=systemd")
                + "40 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n");
        NodeCheck check = KernelProbes.under(root).cgroups(RUNC);
        assertEquals(NodeCheck.Status.OK, check.status(), check.toString());
        assertTrue(check.detail().startsWith("hybrid (v1 controllers, v2 at /sys/fs/cgroup/unified)"), check.detail());
    }

    @Test
    void v1HostWithoutPidsFailsNamingIt() throws IOException {
        write("proc/cgroups", CGROUPS);
        write("proc/self/mountinfo", v1("/sys/fs/cgroup/cpu,cpuacct", "rw,cpu,cpuacct") + v1("/sys/fs/cgroup/memory", "rw,memory")
                + v1("/sys/fs/cgroup/devices", "rw,devices") + v1("/sys/fs/cgroup/freezer", "rw,freezer"));
        NodeCheck check = KernelProbes.under(root).cgroups(RUNC);
        assertEquals("CgroupControllerMissing", check.reason());
        assertTrue(check.detail().startsWith("cgroup v1 lacks controllers [pids]"), check.detail());
        assertTrue(check.fix().contains("mount -t cgroup"), check.fix());
    }

    @Test
    void v2ReadsTheRootsControllersAndKnowsDevicesAndFreezerAreBuiltIn() throws IOException {
        write("proc/self/mountinfo", "25 23 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
        write("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
        NodeCheck ok = KernelProbes.under(root).cgroups(RUNC);
        assertEquals(NodeCheck.Status.OK, ok.status(), ok.toString());
        assertTrue(ok.detail().startsWith("v2 at /sys/fs/cgroup"), ok.detail());

        write("sys/fs/cgroup/cgroup.controllers", "cpu io memory\n");
        NodeCheck missing = KernelProbes.under(root).cgroups(RUNC);
        assertEquals("CgroupControllerMissing", missing.reason());
        assertTrue(missing.detail().contains("[pids]"), missing.detail());
        assertTrue(missing.fix().contains("subtree_control"), missing.fix());
    }

    @Test
    void noCgroupMountFails() throws IOException {
        write("proc/self/mountinfo", "22 1 0:21 / /proc rw - proc proc rw\n");
        assertEquals("CgroupsNotMounted", KernelProbes.under(root).cgroups(RUNC).reason());
    }

    @Test
    void seccompNamespacesAndKvm() throws IOException {
        KernelProbes probes = KernelProbes.under(root);
        assertEquals("SeccompUnavailable", probes.seccomp().reason());
        write("proc/sys/kernel/seccomp/actions_avail", "kill_process kill_thread trap errno user_notif trace log allow\n");
        assertEquals(NodeCheck.Status.OK, probes.seccomp().status());
        write("proc/sys/kernel/seccomp/actions_avail", "kill_process allow\n");
        assertEquals("SeccompUnavailable", probes.seccomp().reason());

        Files.createDirectories(root.resolve("proc/self/ns"));
        Files.createSymbolicLink(root.resolve("proc/self/ns/mnt"), Path.of("mnt:[4026531841]")); // dangling, as outside /proc
        NodeCheck ns = probes.namespaces(List.of("mnt", "pid"));
        assertEquals("KernelNamespacesMissing", ns.reason());
        assertTrue(ns.detail().contains("[pid]"), ns.detail());

        NodeCheck kvm = probes.kvm();
        assertEquals("KvmUnavailable", kvm.reason());
        assertTrue(kvm.fix().contains("modprobe kvm_intel"), kvm.fix());
        write("dev/kvm", "");
        assertEquals(NodeCheck.Status.OK, probes.kvm().status());
    }

    /** This machine runs pods on runc (the conformance runs prove it): its probes must agree. */
    @Test
    void thisHostHasWhatRuncNeeds() {
        KernelProbes host = KernelProbes.system();
        for (NodeCheck c : List.of(host.cgroups(RUNC), host.seccomp(), host.namespaces(List.of("mnt", "pid", "net", "ipc", "uts")))) {
            assertEquals(NodeCheck.Status.OK, c.status(), c.toString());
        }
    }
}
