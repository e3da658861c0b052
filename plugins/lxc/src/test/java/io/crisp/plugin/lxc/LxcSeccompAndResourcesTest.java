package io.crisp.plugin.lxc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.spi.BackendException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The OCI seccomp profile as LXC's policy, and linux.resources as cgroup v1 and v2 settings. */
final class LxcSeccompAndResourcesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String s) throws Exception {
        return JSON.readTree(s.replace('\'', '"'));
    }

    @Test
    void aDenylistKeepsEachNameItsActionAndItsArgumentConditions() throws Exception {
        JsonNode profile = json("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
                + "{'names':['mount','umount2'],'action':'SCMP_ACT_ERRNO','errnoRet':1},"
                + "{'names':['clone'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':2114060288,'valueTwo':0,"
                + "'op':'SCMP_CMP_MASKED_EQ'}]},"
                + "{'names':['personality'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':8,'op':'SCMP_CMP_EQ'}]},"
                + "{'names':['kexec_load'],'action':'SCMP_ACT_KILL_PROCESS'}]}");
        assertEquals("2\ndenylist\n[all]\nmount errno 1\numount2 errno 1\nclone errno 1 [0,2114060288,SCMP_CMP_MASKED_EQ,0]\n"
                + "kexec_load kill\n", LxcSeccomp.policy("c1", profile).orElseThrow(),
                "a rule with the default action is left out (libseccomp refuses it)");
    }

    @Test
    void anAllowlistNamesItsDefaultAction() throws Exception {
        JsonNode profile = json("{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':38,'syscalls':["
                + "{'names':['read','write'],'action':'SCMP_ACT_ALLOW'}]}");
        assertEquals("2\nallowlist errno 38\n[all]\nread allow\nwrite allow\n", LxcSeccomp.policy("c1", profile).orElseThrow());
        assertTrue(LxcSeccomp.policy("c1", JSON.missingNode()).isEmpty(), "no profile: unconfined");
        BackendException e = assertThrows(BackendException.class, () -> LxcSeccomp.policy("c1",
                json("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['x'],'action':'SCMP_ACT_NOTIFY'}]}")));
        assertEquals(BackendException.Kind.UNIMPLEMENTED, e.kind());
        assertTrue(e.getMessage().contains("syscalls[0].action"), e::getMessage);
    }

    @Test
    void resourcesBecomeV1OrV2CgroupFiles() throws Exception {
        JsonNode r = json("{'memory':{'limit':104857600,'swap':209715200},'cpu':{'shares':1024,'quota':-1,'period':100000},"
                + "'pids':{'limit':-1}}");
        assertEquals(List.of(Map.entry("memory.limit_in_bytes", "104857600"), Map.entry("memory.memsw.limit_in_bytes", "209715200"),
                Map.entry("cpu.shares", "1024"), Map.entry("cpu.cfs_period_us", "100000"), Map.entry("cpu.cfs_quota_us", "-1"),
                Map.entry("pids.max", "max")), LxcResources.settings("f", r, false, true, false));
        assertEquals(List.of(Map.entry("memory.max", "104857600"), Map.entry("memory.swap.max", "104857600"),
                Map.entry("cpu.weight", "39"), Map.entry("cpu.max", "max 100000"), Map.entry("pids.max", "max")),
                LxcResources.settings("f", r, true, true, false));
    }
}
