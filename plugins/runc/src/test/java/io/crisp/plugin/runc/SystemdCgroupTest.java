package io.crisp.plugin.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.plugin.kit.conmon.ConmonBackend;
import io.crisp.spi.BackendException;
import io.crisp.spi.CgroupDriver;
import io.crisp.spi.model.PodIdentity;
import io.crisp.spi.model.SandboxSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The systemd cgroup driver as runc and conmon really receive it: both behind wrappers that log
 * their command lines. This host's PID 1 is not systemd, so runc itself refuses the create; its
 * words reaching the caller show the flag and the {@code slice:prefix:name} path got through.
 */
final class SystemdCgroupTest {
    private RuncFixture fx;
    private Path dir;
    private Path calls;

    @BeforeEach
    void setUp() throws IOException {
        TestBundles.requirePrerequisites();
        dir = Files.createTempDirectory("crisp-systemd-cgroup-");
        calls = dir.resolve("calls");
        Path runc = wrapper("runc-logged", TestBundles.RUNC);
        Path conmon = wrapper("conmon-logged", TestBundles.CONMON);
        fx = new RuncFixture(runc, conmon);
    }

    /** A script that appends "NAME ARGS..." to the log in one write and execs {@code real}. */
    private Path wrapper(String name, Path real) throws IOException {
        Path wrapper = dir.resolve(name);
        // One write per line: the version and feature probes run at the same time, and pieces of
        // their lines written separately would interleave.
        Files.writeString(wrapper, "#!/bin/sh\nline='" + name + "'; for a; do line=\"$line $a\"; done\n"
                + "printf '%s\\n' \"$line\" >> " + calls + "\nexec " + real + " \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
        return wrapper;
    }

    @AfterEach
    void tearDown() throws IOException {
        if (fx != null) {
            fx.close();
            Files.deleteIfExists(calls);
            Files.deleteIfExists(dir.resolve("runc-logged"));
            Files.deleteIfExists(dir.resolve("conmon-logged"));
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void systemdDriverPutsTheFlagOnConmonAndEveryRuncCall() throws Exception {
        assertFalse(Files.isDirectory(Path.of("/run/systemd/system")), "this test expects a host whose PID 1 is not systemd");
        ConmonBackend backend = fx.backend(CgroupDriver.SYSTEMD);
        assertEquals("systemd (--systemd-cgroup)", backend.describe().get("cgroup_driver"));
        String id = fx.newId("sd");
        Path bundle = TestBundles.bundle(fx.base.resolve(id), id, "sleep 100", OptionalLong.empty(), 0);
        String slicePath = "kubepods-besteffort-pod1.slice:crisp:" + id;
        Files.writeString(bundle.resolve("config.json"), Files.readString(bundle.resolve("config.json"))
                .replace(TestBundles.cgroupsPath(id), slicePath));

        BackendException e = assertThrows(BackendException.class, () -> backend.runSandbox(new SandboxSpec(id,
                new PodIdentity("pod", "default", "uid-" + id, 0), bundle, Optional.empty(), Optional.empty(), Map.of(),
                Map.of(), slicePath)));
        assertEquals("container " + id + ": runtime create failed: runc create failed: systemd not running on this host, cannot use systemd"
                + " cgroups manager", e.getMessage());

        String root = fx.config.runtimeRoot().toString();
        List<String> log = Files.readAllLines(calls).stream()
                .filter(l -> !l.contains("--version"))
                .map(l -> l.replace(fx.stateDir + "/objects/", "S/").replace(root, "ROOT").replace(fx.base.toString(), "B")
                        .replace(dir.toString(), "D").replace(id, "ID"))
                .toList();
        assertEquals(4, log.size(), String.join("\n", log));
        assertEquals("runc-logged features", log.get(0), "the feature probe, once, when the backend is created");
        String conmon = log.get(1);
        assertTrue(conmon.startsWith("conmon-logged --api-version 1 --cid ID "), conmon);
        assertTrue(conmon.contains(" --log-level info --systemd-cgroup --runtime-arg --root=ROOT "), conmon);
        // conmon passes --systemd-cgroup on to runc create by itself; the backend adds it to its own calls.
        assertEquals(List.of(
                "runc-logged --systemd-cgroup --root=ROOT --log=S/ID/runtime.log --log-format=json create --bundle B/ID"
                        + " --pid-file S/ID/pid ID",
                "runc-logged --systemd-cgroup --root ROOT delete --force ID"), log.subList(2, 4));
    }

    @Test
    void cgroupfsDriverPassesNoSystemdFlag() throws Exception {
        ConmonBackend backend = fx.backend(CgroupDriver.CGROUPFS);
        assertEquals("cgroupfs", backend.describe().get("cgroup_driver"));
        String sb = fx.newId("sb");
        fx.sandbox(backend, sb);
        backend.stopSandbox(sb, java.time.Duration.ofSeconds(5));
        backend.removeSandbox(sb);
        RuncFixture.removeParentCgroups();
        List<String> log = Files.readAllLines(calls).stream().filter(l -> !l.contains("--version")).toList();
        assertTrue(log.size() >= 4, String.join("\n", log));
        log.forEach(l -> assertFalse(l.contains("--systemd-cgroup"), l));
    }
}
