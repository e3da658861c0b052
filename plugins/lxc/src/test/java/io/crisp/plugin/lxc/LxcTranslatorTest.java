package io.crisp.plugin.lxc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Jackson trees in, LXC configuration lines out. */
final class LxcTranslatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path BUNDLE = Path.of("/run/b/c1");
    private static final LxcTranslator.Target TARGET = new LxcTranslator.Target("c1", BUNDLE, Path.of("/st/crisp-lxc-oci"),
            Path.of("/st/objects/c1/oom"), p -> p.replace("/proc/77/", "/proc/78/"));

    /** A v1 host without AppArmor whose /proc/acpi is a directory and /dev/fuse is 10:229. */
    static final LxcHost HOST = new LxcHost() {
        @Override
        public boolean isDirectory(String path) {
            return path.equals("/proc/acpi") || path.equals("/data");
        }

        @Override
        public Optional<String> deviceNode(char kind, long major, long minor, String preferred) {
            return kind == 'c' && major == 10 && minor == 229 ? Optional.of("/dev/fuse") : Optional.empty();
        }

        @Override
        public boolean cgroupV2() {
            return false;
        }

        @Override
        public boolean swapAccounting() {
            return true;
        }

        @Override
        public boolean apparmorEnabled() {
            return false;
        }
    };

    private static ObjectNode spec(String json) throws Exception {
        return (ObjectNode) JSON.readTree(json.replace('\'', '"'));
    }

    private static final String CONTAINER = "{'root':{'path':'rootfs','readonly':true},'hostname':'h',"
            + "'process':{'args':['sh','-c','echo a  b',''],'env':['PATH=/bin','A=x y'],'cwd':'/work',"
            + "'user':{'uid':1000,'gid':100,'additionalGids':[5,6]},'noNewPrivileges':true,"
            + "'capabilities':{'bounding':['CAP_CHOWN','CAP_NET_BIND_SERVICE']},"
            + "'rlimits':[{'type':'RLIMIT_NOFILE','soft':1024,'hard':4096}],'oomScoreAdj':500},"
            + "'mounts':[{'destination':'/proc','type':'proc','source':'proc'},"
            + "{'destination':'/dev','type':'tmpfs','source':'tmpfs','options':['nosuid','mode=755']},"
            + "{'destination':'/dev/pts','type':'devpts','source':'devpts'},"
            + "{'destination':'/sys','type':'sysfs','source':'sysfs','options':['ro']},"
            + "{'destination':'/dev/shm','type':'tmpfs','source':'shm','options':['nosuid','size=65536k']},"
            + "{'destination':'/my data','type':'bind','source':'/data','options':['rbind','ro','rslave']},"
            + "{'destination':'/etc/hosts','type':'bind','source':'/pod/hosts','options':['bind']}],"
            + "'linux':{'cgroupsPath':'/crisp/crisp-c1',"
            + "'namespaces':[{'type':'mount'},{'type':'pid'},{'type':'network','path':'/proc/77/ns/net'},"
            + "{'type':'ipc','path':'/proc/77/ns/ipc'},{'type':'uts','path':'/proc/77/ns/uts'}],"
            + "'resources':{'memory':{'limit':20971520,'swap':20971520},'cpu':{'shares':512,'quota':50000,'period':100000,"
            + "'cpus':'0-1'},'pids':{'limit':100},'devices':[{'allow':false,'access':'rwm'},"
            + "{'allow':true,'type':'c','major':1,'minor':3,'access':'rwm'}]},"
            + "'devices':[{'path':'/dev/null','type':'c','major':1,'minor':3},{'path':'/dev/fuse','type':'c','major':10,'minor':229}],"
            + "'sysctl':{'net.ipv4.ip_forward':'1'},"
            + "'maskedPaths':['/proc/kcore','/proc/acpi'],'readonlyPaths':['/proc/sys','/proc/bus']}}";

    @Test
    void aContainerJoinsThePodsNamespacesAndKeepsItsSettings() throws Exception {
        LxcTranslator.LxcBundle b = LxcTranslator.translate(spec(CONTAINER), TARGET, HOST);
        List<String> c = b.config();
        for (String expected : List.of(
                "lxc.rootfs.path = dir:/run/b/c1/rootfs",
                "lxc.hook.mount = /st/crisp-lxc-oci hook-mount /run/b/c1",
                "lxc.console.path = none",
                "lxc.apparmor.profile = unconfined",
                "lxc.namespace.share.net = /proc/78/ns/net",
                "lxc.namespace.share.ipc = /proc/78/ns/ipc",
                "lxc.namespace.share.uts = /proc/78/ns/uts",
                "lxc.namespace.clone = mnt pid",
                "lxc.autodev = 1",
                "lxc.pty.max = 1024",
                "lxc.mount.auto = proc:mixed sys:ro",
                "lxc.mount.entry = shm dev/shm tmpfs nosuid,size=65536k,create=dir 0 0",
                "lxc.mount.entry = /data my\\040data none rbind,ro,rslave,create=dir 0 0",
                "lxc.mount.entry = /pod/hosts etc/hosts none bind,create=file 0 0",
                "lxc.mount.entry = /dev/fuse dev/fuse none bind,create=file 0 0",
                "lxc.mount.entry = /dev/null proc/kcore none bind,optional 0 0",
                "lxc.mount.entry = tmpfs proc/acpi tmpfs ro,nosuid,nodev,noexec,size=0,optional 0 0",
                "lxc.mount.entry = /proc/bus proc/bus none bind,ro,optional 0 0",
                "lxc.cgroup.dir.container = crisp/crisp-c1",
                "lxc.cgroup.dir.monitor = crisp/lxc-monitor-c1",
                "lxc.cgroup.devices.deny = a",
                "lxc.cgroup.devices.allow = c 1:3 rwm",
                "lxc.cgroup.memory.limit_in_bytes = 20971520",
                "lxc.cgroup.memory.memsw.limit_in_bytes = 20971520",
                "lxc.cgroup.cpu.shares = 512",
                "lxc.cgroup.cpu.cfs_quota_us = 50000",
                "lxc.cgroup.cpu.cfs_period_us = 100000",
                "lxc.cgroup.cpuset.cpus = 0-1",
                "lxc.cgroup.pids.max = 100",
                "lxc.hook.stop = /st/crisp-lxc-oci hook-oom /sys/fs/cgroup/memory/crisp/crisp-c1 /st/objects/c1/oom",
                "lxc.environment = PATH=/bin",
                "lxc.environment = A=x y",
                "lxc.init.cwd = /work",
                "lxc.init.uid = 1000",
                "lxc.init.gid = 100",
                "lxc.init.groups = 5,6",
                "lxc.no_new_privs = 1",
                "lxc.cap.keep = chown net_bind_service",
                "lxc.prlimit.nofile = 1024:4096",
                "lxc.proc.oom_score_adj = 500")) {
            assertTrue(c.contains(expected), () -> "missing '" + expected + "' in\n" + String.join("\n", c));
        }
        assertFalse(c.stream().anyMatch(l -> l.startsWith("lxc.uts.name")), "the pod's uts namespace keeps its name");
        assertFalse(c.stream().anyMatch(l -> l.startsWith("lxc.net.")), "a shared network namespace is not configured");
        assertFalse(c.stream().anyMatch(l -> l.contains("/proc/sys proc/sys")), "proc:mixed makes /proc/sys read-only");
        assertEquals(List.of("sh", "-c", "echo a  b", ""), b.argv(), "argv exactly, blanks and empty arguments kept");
        assertEquals(List.of("PATH=/bin", "A=x y"), b.env());
        assertEquals(Map.of("READONLY_ROOTFS", "1", "CGROUP", "crisp/crisp-c1", "MONITOR_CGROUP", "crisp/lxc-monitor-c1",
                "EXEC_UID", "1000", "EXEC_GID", "100", "EXEC_CWD", "/work", "EXEC_GROUPS", "5 6", "EXEC_CAPS", "0 10",
                "EXEC_NNP", "1"), b.adapterVars(), "an exec with groups gets the numbers of the bounding set (chown 0, "
                + "net_bind_service 10)");
        assertEquals(List.of("net/ipv4/ip_forward", "1"), b.sysctls(), "written by the adapter's mount hook");
        assertFalse(c.stream().anyMatch(l -> l.startsWith("lxc.sysctl.") || l.startsWith("lxc.rootfs.options")),
                "LXC would apply them before everything is mounted");
        assertTrue(b.seccomp().isEmpty());
    }

    @Test
    void aSandboxGetsNewNamespacesItsHostnameAndThePinnedNetwork() throws Exception {
        ObjectNode s = spec("{'root':{'path':'/r'},'hostname':'pod-a','process':{'args':['/pause']},"
                + "'mounts':[{'destination':'/proc','type':'proc','source':'proc'}],"
                + "'linux':{'cgroupsPath':'/crisp/crisp-s1','namespaces':[{'type':'pid'},{'type':'mount'},{'type':'ipc'},"
                + "{'type':'uts'},{'type':'network','path':'/var/run/netns/crisp-x'}]}}");
        List<String> c = LxcTranslator.translate(s, TARGET, HOST).config();
        assertTrue(c.contains("lxc.namespace.share.net = /var/run/netns/crisp-x"), c::toString);
        assertTrue(c.contains("lxc.namespace.clone = pid mnt ipc uts"), c::toString);
        assertTrue(c.contains("lxc.uts.name = pod-a"), c::toString);
        assertTrue(c.contains("lxc.mount.auto = proc:rw"), c::toString);
        assertTrue(c.contains("lxc.autodev = 0") && c.contains("lxc.pty.max = 0"), c::toString);
    }

    @Test
    void aNewNetworkNamespaceGetsOnlyLoopbackAndAHostNetworkPodKeepsTheHosts() throws Exception {
        ObjectNode own = spec("{'root':{'path':'/r'},'process':{'args':['x']},'linux':{'namespaces':[{'type':'mount'},"
                + "{'type':'network'}]}}");
        List<String> c = LxcTranslator.translate(own, TARGET, HOST).config();
        assertTrue(c.contains("lxc.net.0.type = empty"), c::toString);
        assertTrue(c.contains("lxc.cgroup.dir.container = crisp-lxc/c1"), "no cgroupsPath: one of the plugin's own");
        ObjectNode hostNet = spec("{'root':{'path':'/r'},'process':{'args':['x']},'linux':{'namespaces':[{'type':'mount'}]}}");
        List<String> h = LxcTranslator.translate(hostNet, TARGET, HOST).config();
        assertTrue(h.contains("lxc.namespace.clone = mnt"), h::toString);
        assertFalse(h.stream().anyMatch(l -> l.startsWith("lxc.net.")), "lxc.net.0.type none is never written");
    }

    @Test
    void badInputNamesTheField() throws Exception {
        assertField(Kind.INVALID_ARGUMENT, "process.args", "{'root':{'path':'/r'},'process':{'args':[]},"
                + "'linux':{'namespaces':[{'type':'mount'}]}}");
        assertField(Kind.INVALID_ARGUMENT, "linux.namespaces[1].type", "{'root':{'path':'/r'},'process':{'args':['x']},"
                + "'linux':{'namespaces':[{'type':'mount'},{'type':'bogus'}]}}");
        assertField(Kind.UNIMPLEMENTED, "systemd cgroup driver", "{'root':{'path':'/r'},'process':{'args':['x']},"
                + "'linux':{'cgroupsPath':'system.slice:crisp:c1','namespaces':[{'type':'mount'}]}}");
        assertField(Kind.INVALID_ARGUMENT, "process.env", "{'root':{'path':'/r'},'process':{'args':['x'],'env':['A=1\\nlxc.x=2']},"
                + "'linux':{'namespaces':[{'type':'mount'}]}}");
        assertField(Kind.UNIMPLEMENTED, "hooks.prestart", "{'root':{'path':'/r'},'process':{'args':['x']},"
                + "'hooks':{'prestart':[{'path':'/bin/true'}]},'linux':{'namespaces':[{'type':'mount'}]}}");
        assertField(Kind.UNIMPLEMENTED, "linux.uidMappings", "{'root':{'path':'/r'},'process':{'args':['x']},"
                + "'linux':{'uidMappings':[{'containerID':0,'hostID':1000,'size':1}],'namespaces':[{'type':'mount'}]}}");
        assertField(Kind.INVALID_ARGUMENT, "linux.devices[0]", "{'root':{'path':'/r'},'process':{'args':['x']},"
                + "'linux':{'namespaces':[{'type':'mount'}],'devices':[{'path':'/dev/x','type':'c','major':99,'minor':1}]}}");
    }

    private static void assertField(Kind kind, String field, String json) throws Exception {
        ObjectNode s = spec(json);
        BackendException e = assertThrows(BackendException.class, () -> LxcTranslator.translate(s, TARGET, HOST));
        assertEquals(kind, e.kind(), e::getMessage);
        assertTrue(e.getMessage().contains(field) && e.getMessage().contains("c1"), e::getMessage);
    }
}
