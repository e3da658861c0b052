package io.crisp.plugin.nspawn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.spi.BackendException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pod machine's launch file from a sandbox's config.json, read back through bash. */
final class PodLaunchTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode sandbox(String namespaces) throws Exception {
        return (ObjectNode) JSON.readTree("{\"hostname\":\"web-0\",\"linux\":{\"namespaces\":" + namespaces
                + ",\"sysctl\":{\"kernel.shm_rmid_forced\":\"1\",\"net.ipv4.ip_unprivileged_port_start\":\"0\"}}}");
    }

    private static String translate(ObjectNode config) {
        return PodLaunch.translate("0123456789abcdef0123456789abcdef0123456789abcdef", config,
                Path.of("/usr/bin/systemd-nspawn"), Path.of("/var/lib/crisp/stage1"), List.of(Path.of("/sys/fs/cgroup/pids/p")));
    }

    @Test
    void aPodInItsPinnedNetworkNamespace() throws Exception {
        Map<String, String> v = Sourced.vars(translate(sandbox(
                "[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/run/crisp/netns/p1\"},{\"type\":\"ipc\"},{\"type\":\"uts\"}]")),
                "KIND", "NSPAWN", "STAGE1", "MACHINE", "HOSTNAME_", "NETNS", "PRIVATE_NETWORK", "SYSCTLS[0]", "SYSCTLS[1]",
                "#SYSCTLS[@]", "CGROUP_DIRS[0]");
        assertEquals("pod", v.get("KIND"));
        assertEquals("/usr/bin/systemd-nspawn", v.get("NSPAWN"));
        assertEquals("/var/lib/crisp/stage1", v.get("STAGE1"));
        assertEquals("crisp-0123456789abcdef0123456789abcdef01234567", v.get("MACHINE"));
        assertEquals("web-0", v.get("HOSTNAME_"));
        assertEquals("/run/crisp/netns/p1", v.get("NETNS"));
        assertEquals("0", v.get("PRIVATE_NETWORK"));
        assertEquals("kernel/shm_rmid_forced=1", v.get("SYSCTLS[0]"));
        assertEquals("net/ipv4/ip_unprivileged_port_start=0", v.get("SYSCTLS[1]"));
        assertEquals("/sys/fs/cgroup/pids/p", v.get("CGROUP_DIRS[0]"));
    }

    @Test
    void hostNetworkDropsNetworkSysctlsAndANewOneIsPrivate() throws Exception {
        Map<String, String> host = Sourced.vars(translate(sandbox("[{\"type\":\"pid\"}]")), "NETNS", "PRIVATE_NETWORK",
                "#SYSCTLS[@]");
        assertEquals("", host.get("NETNS"));
        assertEquals("0", host.get("PRIVATE_NETWORK"));
        assertEquals("1", host.get("#SYSCTLS[@]"));
        assertEquals("1", Sourced.vars(translate(sandbox("[{\"type\":\"network\"}]")), "PRIVATE_NETWORK").get("PRIVATE_NETWORK"));
    }

    @Test
    void aSysctlNameThatIsNoPathUnderProcSysIsRefused() throws Exception {
        ObjectNode c = sandbox("[]");
        ((ObjectNode) c.at("/linux/sysctl")).put("../../etc/passwd", "x");
        BackendException e = assertThrows(BackendException.class, () -> translate(c));
        assertTrue(e.getMessage().contains("linux.sysctl"), e.getMessage());
    }
}
