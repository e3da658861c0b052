package io.crisp.plugin.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.plugin.kit.conmon.ConmonBackend;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.Capability;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.ContainerState;
import io.crisp.spi.model.ContainerState.Phase;
import io.crisp.spi.model.PodIdentity;
import io.crisp.spi.model.SandboxSpec;
import io.crisp.spi.model.SandboxState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A pod without an infra process on the real runc and conmon: the test pins IPC, UTS and network
 * namespaces with util-linux {@code unshare --ipc=FILE --uts=FILE --net=FILE} (the core does the
 * same with its own code), and the backend runs nothing for the sandbox while its container joins
 * the files.
 */
final class RuncPodWithoutInfraTest {
    @RegisterExtension
    final RuncFixture fx = new RuncFixture();
    private Path pins;

    @BeforeEach
    void setUp() throws IOException {
        pins = fx.base.resolve("pins");
        Files.createDirectories(pins);
    }

    /** Before the fixture closes (JUnit runs extensions' after-each callbacks last). */
    @AfterEach
    void unmountPins() throws Exception {
        if (pins == null) {
            return;
        }
        for (String name : List.of("ipc", "uts", "net")) {
            if (Files.exists(pins.resolve(name))) {
                run("umount", pins.resolve(name).toString());
            }
        }
    }

    @Test
    void theSandboxRunsNoProcessAndItsContainerJoinsThePinnedNamespaces() throws Exception {
        ConmonBackend backend = fx.backend();
        assertTrue(backend.capabilities().contains(Capability.PODS_WITHOUT_INFRA));
        for (String name : List.of("ipc", "uts", "net")) {
            Files.createFile(pins.resolve(name));
        }
        run("unshare", "--ipc=" + pins.resolve("ipc"), "--uts=" + pins.resolve("uts"), "--net=" + pins.resolve("net"),
                "hostname", "pinned-pod");

        String sb = fx.newId("sb");
        SandboxState s = backend.runSandbox(new SandboxSpec(sb, new PodIdentity("pod", "default", "uid-" + sb, 0), fx.base.resolve(sb),
                Optional.of(pins.resolve("net")), Optional.empty(), Map.of(), Map.of(), "", false));
        assertTrue(s.ready());
        assertTrue(s.pid().isEmpty(), "no infra process");
        assertFalse(Files.exists(fx.stateDir.resolve("objects").resolve(sb)), "no conmon or runtime state for the sandbox");
        assertEquals(Kind.ALREADY_EXISTS, assertThrows(BackendException.class, () -> backend.runSandbox(new SandboxSpec(sb,
                new PodIdentity("pod", "default", "uid-" + sb, 0), fx.base.resolve(sb), Optional.empty(), Optional.empty(), Map.of(),
                Map.of(), "", false))).kind());

        String c = fx.newId("c");
        String ns = "{\"type\":\"pid\"},{\"type\":\"mount\"},"
                + "{\"type\":\"uts\",\"path\":\"" + pins.resolve("uts") + "\"},"
                + "{\"type\":\"ipc\",\"path\":\"" + pins.resolve("ipc") + "\"},"
                + "{\"type\":\"network\",\"path\":\"" + pins.resolve("net") + "\"}";
        Path bundle = TestBundles.bundle(fx.base.resolve(c), c, "cat /proc/sys/kernel/hostname; sleep 30", ns, 0);
        Path config = bundle.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"hostname\":\"t\",", ""));
        backend.createContainer(new ContainerSpec(c, sb, "c-" + c, bundle, Optional.of(fx.log(c)),
                false, false, false, Map.of(), TestBundles.cgroupsPath(c)));
        // runc's create runs at StartContainer (deferred create): the process exists from then on.
        ContainerState started = backend.startContainer(c);
        assertEquals(Phase.RUNNING, started.phase());
        long pid = started.pid().orElseThrow();
        for (String name : List.of("ipc", "uts", "net")) {
            assertEquals(inode(pins.resolve(name)), inode(Path.of("/proc/" + pid + "/ns/" + name)), name + " namespace of the container");
        }
        RuncFixture.await("the hostname in the log", () -> logHas(c, "pinned-pod"));

        // A daemon restart: a new backend on the same state finds the sandbox again.
        ConmonBackend restarted = fx.backend();
        assertTrue(restarted.sandboxState(sb).ready());
        restarted.stopContainer(c, 15, Duration.ZERO);
        restarted.stopSandbox(sb, Duration.ZERO);
        assertFalse(restarted.sandboxState(sb).ready(), "stopped");
        String late = fx.newId("c");
        Path lateBundle = TestBundles.bundle(fx.base.resolve(late), late, "true", ns, 0);
        assertEquals(Kind.FAILED_PRECONDITION, assertThrows(BackendException.class, () -> restarted.createContainer(new ContainerSpec(late,
                sb, "c-" + late, lateBundle, Optional.empty(), false, false, false, Map.of(), TestBundles.cgroupsPath(late)))).kind());
        restarted.removeContainer(c);
        restarted.removeSandbox(sb);
        restarted.removeSandbox(sb); // idempotent
        assertEquals(Kind.NOT_FOUND, assertThrows(BackendException.class, () -> restarted.sandboxState(sb)).kind());
    }

    @Test
    void anInfraSandboxStillRunsItsProcess() throws Exception {
        ConmonBackend backend = fx.backend();
        String sb = fx.newId("sb");
        SandboxState s = fx.sandbox(backend, sb);
        assertTrue(s.pid().isPresent(), "the SPI 1.2 constructor asks for an infra process");
        backend.removeSandbox(sb);
    }

    private boolean logHas(String id, String text) {
        try {
            return Files.exists(fx.log(id)) && Files.readString(fx.log(id)).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    private static long inode(Path path) throws IOException {
        return ((Number) Files.getAttribute(path, "unix:ino")).longValue();
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
    }
}
