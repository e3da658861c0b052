package io.crisp.plugin.lxc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.spi.BackendHealth;
import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.HandlerConfig;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.StdioSession;
import io.crisp.spi.model.StdioWiring;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.ExecResult;
import io.crisp.spi.model.ExecSpec;
import io.crisp.spi.model.PodIdentity;
import io.crisp.spi.model.SandboxSpec;
import io.crisp.spi.model.SandboxState;
import io.crisp.spi.testing.BusyboxBundles;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the lxc backend does beyond the contract suite, checked where a user would look: the cgroup files. */
final class LxcBackendTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Path dir;
    private RuntimeBackend backend;

    @BeforeEach
    void start() throws Exception {
        LxcTestSupport.requirePrerequisites();
        dir = Files.createTempDirectory("crisp-lxc-backend-");
        backend = backend(Map.of("lxc_path", dir.resolve("lxc").toString()), "state");
    }

    private RuntimeBackend backend(Map<String, Object> options, String state) throws Exception {
        HandlerConfig config = new HandlerConfig("lxc-test", "lxc", options, Files.createDirectories(dir.resolve("root")),
                Files.createDirectories(dir.resolve(state)));
        return new LxcPlugin().create(config, new RuntimeContext() {
            @Override
            public String spiVersion() {
                return "1.2";
            }

            @Override
            public String handlerName() {
                return "lxc-test";
            }

            @Override
            public ContainerEventSink events() {
                return ContainerEventSink.discarding();
            }
        });
    }

    @Test
    void execRunsInTheContainersWorkingDirectoryWithItsSupplementaryGroups() throws Exception {
        Path sb = BusyboxBundles.sandbox(Files.createDirectories(dir.resolve("b/lxcb-s")), "lxcb-s");
        SandboxState pod = backend.runSandbox(new SandboxSpec("lxcb-s", new PodIdentity("p", "default", "uid", 0), sb,
                Optional.empty(), Optional.empty(), Map.of(), Map.of(), "/crisp-contract/lxcb-s"));
        Path cb = BusyboxBundles.container(Files.createDirectories(dir.resolve("b/lxcb-c")), "lxcb-c", "lxcb-s", pod.pid(),
                "sleep 1000", false);
        String cwd = "/crisp-lxc-only-in-container/app";
        ObjectNode spec = (ObjectNode) JSON.readTree(cb.resolve("config.json").toFile());
        ((ObjectNode) spec.get("process")).put("cwd", cwd);
        // and supplementary groups, which lxc-attach would drop
        ((ObjectNode) spec.get("process")).putObject("user").put("uid", 1000).put("gid", 1000).putArray("additionalGids")
                .add(1234).add(5678);
        JSON.writeValue(cb.resolve("config.json").toFile(), spec);
        Files.createDirectories(cb.resolve("rootfs" + cwd));
        backend.createContainer(new ContainerSpec("lxcb-c", "lxcb-s", "c", cb, Optional.of(dir.resolve("c.log")), false, false,
                false, Map.of(), "/crisp-contract/lxcb-c"));
        backend.startContainer("lxcb-c");
        ExecResult r = backend.execSync(new ExecSpec("lxcb-c", List.of("sh", "-c", "pwd; id -u; id -G"), Duration.ofSeconds(20),
                false, 1000, ""));
        assertEquals(cwd + "\n1000\n1000 1234 5678\n", new String(r.stdout(), StandardCharsets.UTF_8),
                () -> new String(r.stderr(), StandardCharsets.UTF_8));
        assertFalse(Files.exists(Path.of("/crisp-lxc-only-in-container")), "nothing is made on the host");
    }

    @Test
    void aContainerWithATerminalTalksThroughItsAttachment() throws Exception {
        Path sb = BusyboxBundles.sandbox(Files.createDirectories(dir.resolve("b/lxcb-s")), "lxcb-s");
        SandboxState pod = backend.runSandbox(new SandboxSpec("lxcb-s", new PodIdentity("p", "default", "uid", 0), sb,
                Optional.empty(), Optional.empty(), Map.of(), Map.of(), "/crisp-contract/lxcb-s"));
        Path cb = BusyboxBundles.container(Files.createDirectories(dir.resolve("b/lxcb-c")), "lxcb-c", "lxcb-s", pod.pid(),
                "read x; echo got-$x; [ -t 0 ] && echo terminal; exit 2", true);
        backend.createContainer(new ContainerSpec("lxcb-c", "lxcb-s", "c", cb, Optional.of(dir.resolve("c.log")), true, false,
                true, Map.of(), "/crisp-contract/lxcb-c"));
        try (StdioSession s = backend.attach("lxcb-c", new StdioWiring(true, true, false, true))) {
            fail("attach before start: " + s);
        } catch (io.crisp.spi.BackendException e) {
            assertEquals(io.crisp.spi.BackendException.Kind.FAILED_PRECONDITION, e.kind());
        }
        backend.startContainer("lxcb-c");
        try (StdioSession s = backend.attach("lxcb-c", new StdioWiring(true, true, false, true))) {
            OutputStream in = s.stdin().orElseThrow();
            in.write("hi\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            assertEquals(2, s.exit().get(20, TimeUnit.SECONDS));
        }
        String log = Files.readString(dir.resolve("c.log"));
        assertTrue(log.contains("got-hi") && log.contains("terminal"), log);
    }

    @Test
    void aContainerInThePodsPidNamespaceTakesWhatItLeftRunningWithItAndThePodStops() throws Exception {
        Path sb = BusyboxBundles.sandbox(Files.createDirectories(dir.resolve("b/lxcb-s")), "lxcb-s");
        SandboxState pod = backend.runSandbox(new SandboxSpec("lxcb-s", new PodIdentity("p", "default", "uid", 0), sb,
                Optional.empty(), Optional.empty(), Map.of(), Map.of(), "/crisp-contract/lxcb-s"));
        // The kubelet's default (NamespaceMode POD): the container joins the pod's pid namespace, and
        // its shell ends on SIGTERM leaving its background job.
        Path cb = BusyboxBundles.container(Files.createDirectories(dir.resolve("b/lxcb-c")), "lxcb-c", "lxcb-s", pod.pid(),
                "trap 'exit 0' TERM; sleep 1000 & wait", false);
        ObjectNode spec = (ObjectNode) JSON.readTree(cb.resolve("config.json").toFile());
        ((ObjectNode) spec.get("linux").get("namespaces").get(0)).put("path", "/proc/" + pod.pid().orElseThrow() + "/ns/pid");
        JSON.writeValue(cb.resolve("config.json").toFile(), spec);
        backend.createContainer(new ContainerSpec("lxcb-c", "lxcb-s", "c", cb, Optional.of(dir.resolve("c.log")), false, false,
                false, Map.of(), "/crisp-contract/lxcb-c"));
        backend.startContainer("lxcb-c");
        Path procs = Path.of("/sys/fs/cgroup/pids/crisp-contract/lxcb-c/cgroup.procs");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Files.readAllLines(procs).size() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(3, Files.readAllLines(procs).size(), "init.lxc, sh and sleep run in the container's cgroup");
        backend.stopContainer("lxcb-c", 15, Duration.ofSeconds(10));
        assertEquals(0, backend.containerState("lxcb-c").exit().orElseThrow().code(), "the shell's trap ran");
        assertFalse(Files.exists(procs), "the container's cgroup is gone with everything in it");
        long t = System.nanoTime();
        backend.stopSandbox("lxcb-s", Duration.ofSeconds(10));
        assertTrue(System.nanoTime() - t < TimeUnit.SECONDS.toNanos(10), "the pod stopped at once");
    }

    @Test
    void readyWithLxcAndNotReadyNamingTheMissingTool() throws Exception {
        assertTrue(backend.health().ready(), () -> backend.health().message());
        assertTrue(backend.describe().get("lxc_version").matches("[0-9.]+|probing"), () -> backend.describe().toString());
        try (RuntimeBackend broken = backend(Map.of("lxc_bin_dir", dir.resolve("nowhere").toString()), "state2")) {
            BackendHealth health = broken.health();
            assertEquals("AdapterBinaryMissing", health.reason());
            assertTrue(health.message().contains("lxc-execute") && health.message().contains("package lxc"), health::message);
        }
    }

    @AfterEach
    void stop() throws Exception {
        if (backend != null) {
            for (String id : new String[] {"lxcb-c", "lxcb-s"}) {
                try {
                    backend.removeContainer(id);
                } catch (RuntimeException e) {
                    backend.removeSandbox(id);
                }
            }
            backend.close();
        }
        LxcTestSupport.deleteTree(dir);
        BusyboxBundles.removeCgroupParent();
    }

    @Test
    void limitsGoIntoTheContainersCgroupAtCreateAndOnUpdate() throws Exception {
        Path sb = BusyboxBundles.sandbox(Files.createDirectories(dir.resolve("b/lxcb-s")), "lxcb-s");
        SandboxState pod = backend.runSandbox(new SandboxSpec("lxcb-s", new PodIdentity("p", "default", "uid", 0), sb,
                Optional.empty(), Optional.empty(), Map.of(), Map.of(), "/crisp-contract/lxcb-s"));
        Path cb = BusyboxBundles.container(Files.createDirectories(dir.resolve("b/lxcb-c")), "lxcb-c", "lxcb-s", pod.pid(),
                "sleep 1000", false);
        BusyboxBundles.limitMemory(cb, 64L << 20);
        backend.createContainer(new ContainerSpec("lxcb-c", "lxcb-s", "c", cb, Optional.of(dir.resolve("c.log")), false, false,
                false, Map.of(), "/crisp-contract/lxcb-c"));
        backend.startContainer("lxcb-c");
        Path limit = Path.of("/sys/fs/cgroup/memory/crisp-contract/lxcb-c/memory.limit_in_bytes");
        assertEquals(Long.toString(64L << 20), Files.readString(limit).trim(), "the container sits at its cgroupsPath with its limit");
        backend.updateContainerResources("lxcb-c", "{\"memory\":{\"limit\":104857600},\"cpu\":{\"shares\":512}}");
        assertEquals("104857600", Files.readString(limit).trim());
        assertEquals("512", Files.readString(Path.of("/sys/fs/cgroup/cpu/crisp-contract/lxcb-c/cpu.shares")).trim());
        assertTrue(backend.containerStats("lxcb-c").memory().usageBytes() > 0);
        backend.stopContainer("lxcb-c", 15, Duration.ofSeconds(10));
        assertEquals(143, backend.containerState("lxcb-c").exit().orElseThrow().code(), "SIGTERM reached sleep itself");
    }
}
