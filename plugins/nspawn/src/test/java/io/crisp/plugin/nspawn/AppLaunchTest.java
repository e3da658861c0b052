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

/**
 * The translation of a container's config.json into an app's launch file, checked by sourcing the
 * file with bash as nspawn-oci does and reading the variables back.
 */
final class AppLaunchTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path BUNDLE = Path.of("/run/crisp/bundles/c1");

    static ObjectNode config() throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"ociVersion":"1.0.2",
                 "root":{"path":"rootfs","readonly":true},
                 "process":{"terminal":false,"user":{"uid":1000,"gid":3000,"additionalGids":[4000,4001]},
                   "args":["sh","-c","echo 'it''s' \\"$HOME\\" $((1+2))"],
                   "env":["PATH=/usr/bin:/bin","QUOTE=a'b\\"c $x `y`"],
                   "cwd":"/work",
                   "capabilities":{"bounding":["CAP_CHOWN","CAP_KILL"],"effective":["CAP_CHOWN","CAP_KILL"],
                     "permitted":["CAP_CHOWN","CAP_KILL"],"inheritable":["CAP_KILL"],"ambient":["CAP_KILL"]},
                   "noNewPrivileges":true,"oomScoreAdj":500,
                   "rlimits":[{"type":"RLIMIT_NOFILE","soft":1024,"hard":4096}]},
                 "mounts":[{"destination":"/proc","type":"proc","source":"proc","options":["nosuid","noexec","nodev"]},
                   {"destination":"/data","type":"bind","source":"/var/lib/data dir","options":["rbind","rslave","ro"]}],
                 "linux":{"namespaces":[{"type":"mount"},{"type":"network","path":"/proc/77/ns/net"},
                     {"type":"uts","path":"/proc/77/ns/uts"},{"type":"ipc","path":"/proc/77/ns/ipc"},
                     {"type":"pid","path":"/proc/77/ns/pid"}],
                   "devices":[{"path":"/dev/fuse","type":"c","major":10,"minor":229,"fileMode":438,"uid":0,"gid":0}],
                   "maskedPaths":["/proc/kcore"],"readonlyPaths":["/proc/sys"],
                   "cgroupsPath":"/crisp/crisp-c1"}}
                """);
    }

    private static String translate(ObjectNode config) {
        return AppLaunch.translate(config, BUNDLE, p -> p.replace("/proc/77/", "/proc/78/"),
                List.of(Path.of("/sys/fs/cgroup/memory/crisp/crisp-c1")), Path.of("/var/lib/crisp/helpers"), 40);
    }

    @Test
    void everyFieldAnAppNeedsReachesBashVerbatim() throws Exception {
        Map<String, String> v = Sourced.vars(translate(config()), "KIND", "APP_ROOT", "ROOT_READONLY", "APP_CWD",
                "APP_UID", "APP_GID", "APP_GROUPS", "NO_NEW_PRIVS", "OOM_SCORE_ADJ", "NS_NET", "NS_PID", "PID_MODE",
                "CAPS_TEXT", "CAPS_AMBIENT", "APP_ARGS[2]", "APP_ENV[1]", "#APP_ARGS[@]", "MNT_SRC[1]", "MNT_OPTS[1]",
                "RLIMITS[0]", "DEV_MODE[0]", "CGROUP_DIRS[0]", "HELPERS", "MASKED[0]", "READONLY[0]");
        assertEquals("app", v.get("KIND"));
        assertEquals("/run/crisp/bundles/c1/rootfs", v.get("APP_ROOT"));
        assertEquals("1", v.get("ROOT_READONLY"));
        assertEquals("/work", v.get("APP_CWD"));
        assertEquals("1000", v.get("APP_UID"));
        assertEquals("3000", v.get("APP_GID"));
        assertEquals("4000,4001", v.get("APP_GROUPS"));
        assertEquals("1", v.get("NO_NEW_PRIVS"));
        assertEquals("500", v.get("OOM_SCORE_ADJ"));
        assertEquals("/proc/78/ns/net", v.get("NS_NET"));
        assertEquals("/proc/78/ns/pid", v.get("NS_PID"));
        assertEquals("join", v.get("PID_MODE"));
        assertEquals("= cap_chown,cap_kill+e cap_chown,cap_kill+p cap_kill+i", v.get("CAPS_TEXT"));
        assertEquals("cap_kill", v.get("CAPS_AMBIENT"));
        assertEquals("echo 'it''s' \"$HOME\" $((1+2))", v.get("APP_ARGS[2]"));
        assertEquals("QUOTE=a'b\"c $x `y`", v.get("APP_ENV[1]"));
        assertEquals("3", v.get("#APP_ARGS[@]"));
        assertEquals("/var/lib/data dir", v.get("MNT_SRC[1]"));
        assertEquals("rbind,rslave,ro", v.get("MNT_OPTS[1]"));
        assertEquals("--nofile=1024:4096", v.get("RLIMITS[0]"));
        assertEquals("666", v.get("DEV_MODE[0]"));
        assertEquals("/sys/fs/cgroup/memory/crisp/crisp-c1", v.get("CGROUP_DIRS[0]"));
        assertEquals("/var/lib/crisp/helpers", v.get("HELPERS"));
        assertEquals("/proc/kcore", v.get("MASKED[0]"));
        assertEquals("/proc/sys", v.get("READONLY[0]"));
    }

    @Test
    void theBoundingSetDropsEveryCapabilityTheSpecLacksUpToTheKernelsLast() throws Exception {
        String drop = Sourced.vars(translate(config()), "CAPS_DROP_BOUNDING").get("CAPS_DROP_BOUNDING");
        List<String> dropped = List.of(drop.split(","));
        assertEquals(41 - 2, dropped.size());
        assertTrue(dropped.contains("cap_sys_admin") && dropped.contains("cap_checkpoint_restore"));
        assertTrue(!dropped.contains("cap_chown") && !dropped.contains("cap_kill"));
    }

    @Test
    void withoutProcessCapabilitiesNothingIsDroppedOrSet() throws Exception {
        ObjectNode c = config();
        ((ObjectNode) c.get("process")).remove("capabilities");
        Map<String, String> v = Sourced.vars(translate(c), "CAPS_DROP_BOUNDING", "CAPS_TEXT", "CAPS_AMBIENT");
        assertEquals(Map.of("CAPS_DROP_BOUNDING", "", "CAPS_TEXT", "", "CAPS_AMBIENT", ""), v);
    }

    @Test
    void aNewPidNamespaceAndTheNodesAreTold() throws Exception {
        ObjectNode c = config();
        ((ObjectNode) c.at("/linux/namespaces/4")).remove("path");
        assertEquals("new", Sourced.vars(translate(c), "PID_MODE").get("PID_MODE"));
        c.withArray("/linux/namespaces").remove(4);
        Map<String, String> v = Sourced.vars(translate(c), "PID_MODE", "NS_PID");
        assertEquals("host", v.get("PID_MODE"));
        assertEquals("", v.get("NS_PID"));
    }

    @Test
    void aSeccompProfileNamesItsCompiledFilterAndFlags() throws Exception {
        assertEquals(Map.of("SECCOMP_FILTER", "", "SECCOMP_FLAGS", "0"),
                Sourced.vars(translate(config()), "SECCOMP_FILTER", "SECCOMP_FLAGS"));
        ObjectNode c = config();
        ((ObjectNode) c.get("linux")).putObject("seccomp").put("defaultAction", "SCMP_ACT_ALLOW")
                .putArray("flags").add("SECCOMP_FILTER_FLAG_LOG");
        Map<String, String> v = Sourced.vars(translate(c), "SECCOMP_FILTER", "SECCOMP_FLAGS");
        assertTrue(v.get("SECCOMP_FILTER").endsWith("/" + AppLaunch.SECCOMP_FILE), v.toString());
        assertEquals("2", v.get("SECCOMP_FLAGS"));
    }

    @Test
    void whatAnAppCannotHaveIsRefusedNamingTheField() throws Exception {
        ObjectNode seccomp = config();
        ((ObjectNode) seccomp.get("linux")).putObject("seccomp").put("defaultAction", "SCMP_ACT_ERRNO")
                .put("listenerPath", "/run/agent.sock");
        BackendException e = assertThrows(BackendException.class, () -> translate(seccomp));
        assertEquals(BackendException.Kind.UNIMPLEMENTED, e.kind());
        assertTrue(e.getMessage().contains("linux.seccomp.listenerPath"), e.getMessage());

        ObjectNode tty = config();
        ((ObjectNode) tty.get("process")).put("terminal", true);
        assertEquals(BackendException.Kind.UNIMPLEMENTED, assertThrows(BackendException.class, () -> translate(tty)).kind());

        ObjectNode userns = config();
        userns.withArray("/linux/namespaces").addObject().put("type", "user");
        assertTrue(assertThrows(BackendException.class, () -> translate(userns)).getMessage().contains("user"));

        ObjectNode newNet = config();
        ((ObjectNode) newNet.at("/linux/namespaces/1")).remove("path");
        assertEquals(BackendException.Kind.INVALID_ARGUMENT,
                assertThrows(BackendException.class, () -> translate(newNet)).kind());

        ObjectNode escape = config();
        ((ObjectNode) escape.at("/mounts/1")).put("destination", "/data/../../etc");
        assertTrue(assertThrows(BackendException.class, () -> translate(escape)).getMessage().contains("destination"));

        ObjectNode badCap = config();
        ((com.fasterxml.jackson.databind.node.ArrayNode) badCap.at("/process/capabilities/bounding")).add("CAP_NOPE");
        assertTrue(assertThrows(BackendException.class, () -> translate(badCap)).getMessage().contains("CAP_NOPE"));

        ObjectNode nul = config();
        ((com.fasterxml.jackson.databind.node.ArrayNode) nul.at("/process/env")).add("A=b\u0000c");
        assertTrue(assertThrows(BackendException.class, () -> translate(nul)).getMessage().contains("NUL"));
    }
}
