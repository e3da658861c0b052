package io.crisp.plugin.nspawn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.plugin.kit.FileTrees;
import io.crisp.spi.Capability;
import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.HandlerConfig;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.ExecResult;
import io.crisp.spi.model.ExecSpec;
import io.crisp.spi.model.PodIdentity;
import io.crisp.spi.model.SandboxSpec;
import io.crisp.spi.model.SandboxState;
import io.crisp.spi.testing.BusyboxBundles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pod model on real machines: a pod is one systemd-nspawn whose init holds the pod's
 * namespaces; its apps join them, each with its own root, user, groups and capabilities, in its own
 * cgroup; removal leaves no cgroup behind.
 */
final class NspawnPodModelTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Path dir;
    private RuntimeBackend backend;
    private final String id = "nsp" + ProcessHandle.current().pid();

    @BeforeEach
    void setUp() throws IOException {
        NspawnTestHost.requireBinaries();
        dir = Files.createTempDirectory("crisp-nspawn-model-");
        Files.createDirectories(dir.resolve("state"));
        RuntimeContext context = new RuntimeContext() {
            @Override
            public String spiVersion() {
                return "1.2";
            }

            @Override
            public String handlerName() {
                return "nspawn-test";
            }

            @Override
            public ContainerEventSink events() {
                return ContainerEventSink.discarding();
            }
        };
        backend = new NspawnPlugin().create(new HandlerConfig("nspawn-test", "nspawn", Map.of(), dir.resolve("root"),
                dir.resolve("state")), context);
    }

    @AfterEach
    void tearDown() throws IOException {
        if (backend == null) {
            return;
        }
        for (String c : List.of(id + "a", id + "b")) {
            backend.removeContainer(c);
        }
        backend.stopSandbox(id, Duration.ZERO);
        backend.removeSandbox(id);
        backend.close();
        BusyboxBundles.removeCgroupParent();
        FileTrees.deleteTree(dir); // the trash thread may still be deleting beside it
    }

    @Test
    void appsShareThePodMachinesNamespacesWithTheirOwnRootUserAndCapabilities() throws Exception {
        assertTrue(backend.capabilities().contains(Capability.POD_LEVEL_RUNTIME));
        assertTrue(backend.health().ready(), backend.health().message());
        Path sandboxBundle = BusyboxBundles.sandbox(Files.createDirectories(dir.resolve("b/" + id)), id);
        SandboxState pod = backend.runSandbox(new SandboxSpec(id, new PodIdentity("model", "default", "uid", 0),
                sandboxBundle, Optional.empty(), Optional.empty(), Map.of(), Map.of(), cgroupsPath(sandboxBundle)));
        long nspawn = pod.pid().orElseThrow();
        assertEquals("systemd-nspawn", Files.readString(Path.of("/proc/" + nspawn + "/comm")).trim());
        long init = Long.parseLong(Files.readString(dir.resolve("state/apps/" + id + "/leader")).trim());

        start(id + "a", pod, false);
        start(id + "b", pod, true);
        for (String c : List.of(id + "a", id + "b")) {
            for (String ns : List.of("net", "ipc", "uts", "pid")) {
                assertEquals(link("/proc/" + init + "/ns/" + ns), exec(c, "readlink", "/proc/self/ns/" + ns).trim(),
                        c + " is in the pod machine's " + ns + " namespace");
            }
            assertNotEquals(link("/proc/" + init + "/ns/mnt"), exec(c, "readlink", "/proc/self/ns/mnt").trim());
            assertEquals("contract\n", exec(c, "hostname"));
        }
        // b runs as 1000:2000 with group 3000 and only CAP_KILL, without new privileges.
        assertEquals("1000 2000 2000 3000\n", exec(id + "b", "sh", "-c", "echo $(id -u) $(id -g) $(id -G)"));
        String status = exec(id + "b", "cat", "/proc/self/status");
        assertTrue(status.contains("CapBnd:\t0000000000000020"), status);
        assertTrue(status.contains("NoNewPrivs:\t1"), status);
        // Each app sees its own root: a file one writes is not in the other's.
        exec(id + "a", "sh", "-c", "echo mine > /tmp/only-a");
        assertEquals("no\n", exec(id + "b", "sh", "-c", "test -e /tmp/only-a && echo yes || echo no"));
        // Each app is in its container's cgroup; the pod machine in the pod's.
        long appPid = Long.parseLong(Files.readString(dir.resolve("state/apps/" + id + "a/app")).trim());
        assertTrue(Files.readString(Path.of("/proc/" + appPid + "/cgroup")).contains(":memory:" + BusyboxBundles.CGROUP_PARENT
                + "/" + id + "a\n"));
        assertTrue(Files.readString(Path.of("/proc/" + nspawn + "/cgroup")).contains(":memory:" + BusyboxBundles.CGROUP_PARENT
                + "/" + id + "\n"));

        backend.removeContainer(id + "a");
        backend.removeContainer(id + "b");
        backend.stopSandbox(id, Duration.ofSeconds(10));
        backend.removeSandbox(id);
        for (String cg : List.of("memory", "systemd", "pids")) {
            Path pod0 = Path.of("/sys/fs/cgroup", cg, BusyboxBundles.CGROUP_PARENT, id);
            assertFalse(Files.exists(pod0), pod0 + " is removed");
        }
        assertFalse(Files.exists(Path.of("/proc/" + nspawn)), "nspawn is gone");
    }

    /** nspawn killed from outside leaves its init orphaned; removing the pod still ends it and its cgroup. */
    @Test
    void aPodWhoseNspawnWasKilledLeavesNoInitBehind() throws Exception {
        Path sandboxBundle = BusyboxBundles.sandbox(Files.createDirectories(dir.resolve("b/" + id)), id);
        SandboxState pod = backend.runSandbox(new SandboxSpec(id, new PodIdentity("model", "default", "uid", 0),
                sandboxBundle, Optional.empty(), Optional.empty(), Map.of(), Map.of(), cgroupsPath(sandboxBundle)));
        long init = Long.parseLong(Files.readString(dir.resolve("state/apps/" + id + "/leader")).trim());
        ProcessHandle.of(pod.pid().orElseThrow()).orElseThrow().destroyForcibly();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (backend.sandboxState(id).ready() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(backend.sandboxState(id).ready(), "the sandbox is not ready once nspawn is gone");
        backend.stopSandbox(id, Duration.ofSeconds(1));
        backend.removeSandbox(id);
        deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (running(init) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(running(init), "the pod's init " + init + " is gone");
        assertFalse(Files.exists(Path.of("/sys/fs/cgroup/memory", BusyboxBundles.CGROUP_PARENT, id)));
    }

    /**
     * Seccomp in both launch orders: a (root, new privileges allowed) loads the filter before capsh,
     * b (uid 1000, only CAP_KILL, no_new_privs) after it. The app's own process and processes exec'd
     * into it get the profile's errnos; what the profile does not name works.
     */
    @Test
    void appsAndTheirExecsRunUnderTheSeccompProfile() throws Exception {
        Path sandboxBundle = BusyboxBundles.sandbox(Files.createDirectories(dir.resolve("b/" + id)), id);
        SandboxState pod = backend.runSandbox(new SandboxSpec(id, new PodIdentity("model", "default", "uid", 0),
                sandboxBundle, Optional.empty(), Optional.empty(), Map.of(), Map.of(), cgroupsPath(sandboxBundle)));
        ObjectNode profile = (ObjectNode) JSON.readTree("""
                {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [
                  {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 95},
                  {"names": ["sethostname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}""");
        String script = "mkdir /tmp/by-app 2> /tmp/app-err; sleep 1000";
        start(id + "a", pod, false, profile, script);
        start(id + "b", pod, true, profile, script);
        for (String c : List.of(id + "a", id + "b")) {
            long appPid = Long.parseLong(Files.readString(dir.resolve("state/apps/" + c + "/app")).trim());
            assertTrue(Files.readString(Path.of("/proc/" + appPid + "/status")).contains("Seccomp:\t2"), c);
            // The app's script writes its error before it sleeps.
            String appErr = "";
            for (long end = System.nanoTime() + 5_000_000_000L; appErr.isEmpty() && System.nanoTime() < end; ) {
                appErr = exec(c, "sh", "-c", "cat /tmp/app-err 2>/dev/null; true");
            }
            assertEquals("mkdir: can't create directory '/tmp/by-app': Operation not supported\n", appErr,
                    c + "'s own process");
            assertEquals("Operation not supported\n", exec(c, "sh", "-c", "mkdir /tmp/by-exec 2>&1 | sed 's/.*: //'"), c);
            assertEquals("Function not implemented\n", exec(c, "sh", "-c", "hostname other 2>&1 | sed 's/.*: //'"), c);
            assertEquals("contract\n", exec(c, "hostname"));
            assertEquals("written\n", exec(c, "sh", "-c", "echo written > /tmp/f && cat /tmp/f"));
        }
        assertTrue(exec(id + "b", "cat", "/proc/self/status").contains("NoNewPrivs:\t1"));
        assertTrue(exec(id + "a", "cat", "/proc/self/status").contains("NoNewPrivs:\t0"));
    }

    private void start(String c, SandboxState pod, boolean restricted) throws Exception {
        start(c, pod, restricted, null, "sleep 1000");
    }

    private void start(String c, SandboxState pod, boolean restricted, ObjectNode seccomp, String script) throws Exception {
        Path bundle = BusyboxBundles.container(Files.createDirectories(dir.resolve("b/" + c)), c, id, pod.pid(),
                script, false);
        // A /tmp the unprivileged app can write to, as images have.
        Files.createDirectories(bundle.resolve("rootfs/tmp"));
        new ProcessBuilder("chmod", "1777", bundle.resolve("rootfs/tmp").toString()).start().waitFor();
        for (String applet : List.of("readlink", "hostname", "id", "mkdir", "sed")) {
            if (!Files.exists(bundle.resolve("rootfs/bin/" + applet), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(bundle.resolve("rootfs/bin/" + applet), Path.of("busybox"));
            }
        }
        ObjectNode spec = (ObjectNode) JSON.readTree(bundle.resolve("config.json").toFile());
        // The pod's pid namespace rather than a new one.
        ArrayNode ns = (ArrayNode) spec.at("/linux/namespaces");
        ((ObjectNode) ns.get(0)).put("path", "/proc/" + pod.pid().orElseThrow() + "/ns/pid");
        if (restricted) {
            ObjectNode process = (ObjectNode) spec.get("process");
            process.putObject("user").put("uid", 1000).put("gid", 2000).putArray("additionalGids").add(3000);
            ObjectNode caps = process.putObject("capabilities");
            for (String set : List.of("bounding", "effective", "permitted")) {
                caps.putArray(set).add("CAP_KILL");
            }
            process.put("noNewPrivileges", true);
        }
        if (seccomp != null) {
            ((ObjectNode) spec.get("linux")).set("seccomp", seccomp);
        }
        JSON.writeValue(bundle.resolve("config.json").toFile(), spec);
        backend.createContainer(new ContainerSpec(c, id, c, bundle, Optional.of(dir.resolve(c + ".log")), false, false,
                false, Map.of(), cgroupsPath(bundle)));
        backend.startContainer(c);
    }

    private String exec(String c, String... command) {
        ExecResult r = backend.execSync(new ExecSpec(c, List.of(command), Duration.ofSeconds(20), false,
                ExecSpec.CRI_MAX_OUTPUT_BYTES, ""));
        assertEquals(0, r.exitCode(), () -> List.of(command) + ": " + new String(r.stderr(), StandardCharsets.UTF_8));
        return new String(r.stdout(), StandardCharsets.UTF_8);
    }

    /** Alive and not a zombie (this host's PID 1 does not reap orphans). */
    private static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    private static String link(String path) throws IOException {
        return Files.readSymbolicLink(Path.of(path)).toString();
    }

    private static String cgroupsPath(Path bundle) throws IOException {
        return JSON.readTree(bundle.resolve("config.json").toFile()).path("linux").path("cgroupsPath").asText();
    }
}
