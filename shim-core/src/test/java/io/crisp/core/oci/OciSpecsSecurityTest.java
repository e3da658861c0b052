package io.crisp.core.oci;

import static io.crisp.core.oci.OciSpecsSandboxTest.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.spi.BackendException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Capabilities, privileged mode, masked paths, seccomp and AppArmor in container specs. */
final class OciSpecsSecurityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FIELD = "config.linux.security_context.seccomp.localhost_ref";

    @TempDir
    Path tmp;

    private JsonNode spec(ContainerSecurity security, HostFacts host) throws Exception {
        Path rootfs = Fixtures.rootfs(tmp.resolve("rootfs"));
        return JSON.readTree(JSON.writeValueAsBytes(new OciSpecs(CgroupDriver.CGROUPFS, host).container("c1", "sb1",
                Fixtures.pod(), Fixtures.container(security), Fixtures.image(""), rootfs, PodFiles.at(tmp), 42, -1)));
    }

    private JsonNode spec(ContainerSecurity security) throws Exception {
        return spec(security, Fixtures.HOST);
    }

    private List<String> caps(List<String> add, List<String> drop) throws Exception {
        JsonNode c = spec(Fixtures.security(add, drop, false, -1, "", -1, SecurityProfile.UNCONFINED))
                .path("process").path("capabilities");
        assertEquals(texts(c.path("bounding")), texts(c.path("effective")));
        assertEquals(texts(c.path("bounding")), texts(c.path("permitted")));
        assertEquals(List.of(), texts(c.path("inheritable")));
        assertEquals(List.of(), texts(c.path("ambient")));
        return texts(c.path("bounding"));
    }

    @Test
    void capabilitySets() throws Exception {
        assertEquals(Capabilities.DEFAULT, caps(List.of(), List.of()));
        List<String> more = caps(List.of("CAP_SYS_ADMIN"), List.of("CAP_NET_RAW", "CAP_MKNOD"));
        assertTrue(more.contains("CAP_SYS_ADMIN"));
        assertFalse(more.contains("CAP_NET_RAW") || more.contains("CAP_MKNOD"));
        assertEquals(List.of("CAP_NET_BIND_SERVICE"), caps(List.of("CAP_NET_BIND_SERVICE"), List.of("ALL")));
        assertEquals(Capabilities.ALL.size() - 1, caps(List.of("ALL"), List.of("CAP_SYS_ADMIN")).size());
        assertEquals(List.of(), caps(List.of(), List.of("ALL")));
        assertEquals(5, Capabilities.compute(List.of("ALL"), List.of(), 0x1F).size(), "limited to the bounding set");
        assertEquals("CAP_SYS_ADMIN", Capabilities.normalize("sys_admin"));
        assertEquals("CAP_KILL", Capabilities.normalize("CAP_KILL"));
        assertEquals("ALL", Capabilities.normalize("all"));
        assertEquals(null, Capabilities.normalize("CAP_FLY"));
    }

    @Test
    void allMeansTheDaemonsOwnBoundingSet() {
        // This machine's daemon runs without CAP_SYS_RESOURCE (bit 24): runc refuses to grant it.
        long withoutSysResource = Capabilities.KNOWN_MASK & ~(1L << 24);
        List<String> privileged = Capabilities.all(withoutSysResource);
        assertEquals(Capabilities.ALL.size() - 1, privileged.size());
        assertFalse(privileged.contains("CAP_SYS_RESOURCE"));
        assertFalse(Capabilities.compute(List.of("ALL"), List.of(), withoutSysResource).contains("CAP_SYS_RESOURCE"));
        assertEquals(List.of("CAP_CHOWN", "CAP_KILL"),
                Capabilities.compute(List.of(), List.of(), 1L | (1L << 5)), "the default set is limited too");
        assertEquals(withoutSysResource, HostFacts.boundingSet("Name:\tjava\nCapPrm:\t0\nCapBnd:\t000001fffeffffff\n"));
        assertEquals(Capabilities.KNOWN_MASK, HostFacts.boundingSet("Name:\tjava\n"));
    }

    @Test
    void ambientCapabilitiesAreAlsoInheritable() throws Exception {
        ContainerSecurity s = new ContainerSecurity(List.of(), List.of("ALL"), List.of("CAP_NET_BIND_SERVICE"), false, 1000,
                -1, "", false, List.of(), false, List.of(), List.of(), SecurityProfile.UNCONFINED, SecurityProfile.UNCONFINED);
        JsonNode c = spec(s).path("process").path("capabilities");
        for (String set : List.of("bounding", "effective", "permitted", "inheritable", "ambient")) {
            assertEquals(List.of("CAP_NET_BIND_SERVICE"), texts(c.path(set)), set);
        }
    }

    @Test
    void defaultsAndReplacementsOfMaskedPaths() throws Exception {
        JsonNode spec = spec(Fixtures.security(List.of(), List.of(), false, -1, "", -1, Fixtures.RUNTIME_DEFAULT));
        assertTrue(texts(spec.path("linux").path("maskedPaths")).containsAll(List.of("/proc/kcore", "/proc/keys",
                "/sys/firmware", "/proc/timer_list", "/proc/sched_debug", "/sys/devices/virtual/powercap")));
        assertTrue(texts(spec.path("linux").path("readonlyPaths")).containsAll(List.of("/proc/bus", "/proc/fs", "/proc/irq",
                "/proc/sys", "/proc/sysrq-trigger")));
        ContainerSecurity custom = new ContainerSecurity(List.of(), List.of(), List.of(), false, -1, -1, "", true, List.of(),
                true, List.of("/proc/a"), List.of("/proc/b"), SecurityProfile.UNCONFINED, SecurityProfile.UNCONFINED);
        spec = spec(custom);
        assertEquals(List.of("/proc/a"), texts(spec.path("linux").path("maskedPaths")));
        assertEquals(List.of("/proc/b"), texts(spec.path("linux").path("readonlyPaths")));
        assertTrue(spec.path("root").path("readonly").asBoolean());
        assertTrue(spec.path("process").path("noNewPrivileges").asBoolean());
        assertTrue(texts(spec.path("mounts").get(8).path("options")).contains("ro"), "pod files read-only with the rootfs");
    }

    @Test
    void privilegedGetsEverything() throws Exception {
        JsonNode spec = spec(Fixtures.security(List.of(), List.of("ALL"), true, -1, "", -1, Fixtures.RUNTIME_DEFAULT),
                new HostFacts(0, true, Set.of(SpecSecurity.APPARMOR_DEFAULT), false, Capabilities.KNOWN_MASK));
        assertEquals(Capabilities.ALL, texts(spec.path("process").path("capabilities").path("bounding")));
        assertFalse(spec.path("linux").has("maskedPaths"));
        assertFalse(spec.path("linux").has("readonlyPaths"));
        assertFalse(spec.path("linux").has("seccomp"));
        assertEquals("unconfined", spec.path("process").path("apparmorProfile").asText());
        assertTrue(texts(spec.path("mounts").get(4).path("options")).contains("rw"), "sysfs is writable");
        JsonNode rules = spec.path("linux").path("resources").path("devices");
        assertEquals(1, rules.size());
        assertTrue(rules.get(0).path("allow").asBoolean());
    }

    @Test
    void seccompProfiles() throws Exception {
        JsonNode seccomp = spec(Fixtures.security(List.of(), List.of(), false, -1, "", -1, Fixtures.RUNTIME_DEFAULT))
                .path("linux").path("seccomp");
        assertEquals("SCMP_ACT_ERRNO", seccomp.path("defaultAction").asText());
        assertEquals(1, seccomp.path("defaultErrnoRet").asInt());
        assertEquals(DefaultSeccomp.architectures(DefaultSeccomp.nodeArch()), texts(seccomp.path("architectures")));
        List<String> allowed = allowed(seccomp);
        assertTrue(allowed.containsAll(List.of("read", "write", "execve", "openat", "mmap", "futex", "wait4", "chroot")),
                allowed.toString());
        for (String denied : List.of("kexec_load", "init_module", "bpf", "keyctl", "add_key", "mount", "unshare", "setns",
                "userfaultfd", "perf_event_open", "open_by_handle_at", "reboot", "ptrace", "io_uring_setup", "clone",
                "clone3", "personality", "socket")) {
            assertFalse(allowed.contains(denied), denied + " is not on the unconditional allow list");
        }
        assertEquals(List.of("clone"), texts(rule(seccomp, "clone").path("names")));
        assertEquals(0x7E020000L, rule(seccomp, "clone").path("args").get(0).path("value").asLong());
        assertEquals(38, rule(seccomp, "clone3").path("errnoRet").asInt());

        JsonNode admin = spec(Fixtures.security(List.of("CAP_SYS_ADMIN", "CAP_SYS_PTRACE"), List.of("CAP_SYS_CHROOT"), false, -1, "", -1,
                Fixtures.RUNTIME_DEFAULT)).path("linux").path("seccomp");
        List<String> adminAllowed = allowed(admin);
        assertTrue(adminAllowed.containsAll(List.of("mount", "umount2", "unshare", "setns", "clone", "clone3", "ptrace",
                "process_vm_readv")), adminAllowed.toString());
        assertFalse(adminAllowed.contains("chroot"), "CAP_SYS_CHROOT dropped");
        assertFalse(adminAllowed.contains("reboot"));
        assertTrue(rule(admin, "clone3").isMissingNode(), "CAP_SYS_ADMIN: clone3 is allowed, not ENOSYS");
        assertFalse(spec(Fixtures.security(List.of(), List.of(), false, -1, "", -1, SecurityProfile.UNCONFINED))
                .path("linux").has("seccomp"));

        Path file = tmp.resolve("profile.json");
        Files.writeString(file, "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\","
                + "\"subArchitectures\":[\"SCMP_ARCH_X86\"]}],\"syscalls\":[{\"name\":\"read\",\"action\":\"SCMP_ACT_ALLOW\"}]}");
        JsonNode local = spec(Fixtures.security(List.of(), List.of(), false, -1, "", -1,
                new SecurityProfile(SecurityProfile.Kind.LOCALHOST, file.toString(), FIELD))).path("linux").path("seccomp");
        assertEquals("SCMP_ACT_ERRNO", local.path("defaultAction").asText());
        assertEquals(List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86"), texts(local.path("architectures")));
        assertEquals(List.of("read"), texts(local.path("syscalls").get(0).path("names")));

        for (String bad : List.of(tmp.resolve("missing.json").toString(), "relative.json")) {
            BackendException e = assertThrows(BackendException.class, () -> spec(Fixtures.security(List.of(), List.of(),
                    false, -1, "", -1, new SecurityProfile(SecurityProfile.Kind.LOCALHOST, bad, FIELD))));
            assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
            assertTrue(e.getMessage().startsWith(FIELD + ":"), e.getMessage());
        }
        Files.writeString(file, "[1]");
        assertThrows(BackendException.class, () -> spec(Fixtures.security(List.of(), List.of(), false, -1, "", -1,
                new SecurityProfile(SecurityProfile.Kind.LOCALHOST, file.toString(), FIELD))));
    }

    private ContainerSecurity apparmor(SecurityProfile profile) {
        return new ContainerSecurity(List.of(), List.of(), List.of(), false, -1, -1, "", false, List.of(), false, List.of(),
                List.of(), SecurityProfile.UNCONFINED, profile);
    }

    @Test
    void apparmorOnlyWhenEnabled() throws Exception {
        SecurityProfile local = new SecurityProfile(SecurityProfile.Kind.LOCALHOST, "my-profile",
                "config.linux.security_context.apparmor.localhost_ref");
        HostFacts enabled = new HostFacts(0, true, Set.of(SpecSecurity.APPARMOR_DEFAULT), false, Capabilities.KNOWN_MASK);
        assertEquals("my-profile", spec(apparmor(local), enabled).path("process").path("apparmorProfile").asText());
        assertEquals(SpecSecurity.APPARMOR_DEFAULT, spec(apparmor(Fixtures.RUNTIME_DEFAULT), enabled)
                .path("process").path("apparmorProfile").asText());
        assertEquals("unconfined", spec(apparmor(SecurityProfile.UNCONFINED), enabled)
                .path("process").path("apparmorProfile").asText());
        HostFacts notLoaded = new HostFacts(0, true, Set.of(), false, Capabilities.KNOWN_MASK);
        assertFalse(spec(apparmor(Fixtures.RUNTIME_DEFAULT), notLoaded).path("process").has("apparmorProfile"));

        assertFalse(spec(apparmor(Fixtures.RUNTIME_DEFAULT)).path("process").has("apparmorProfile"));
        BackendException e = assertThrows(BackendException.class, () -> spec(apparmor(local)));
        assertEquals(BackendException.Kind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().startsWith("config.linux.security_context.apparmor.localhost_ref:"), e.getMessage());
    }

    /** The names of the profile's unconditional allow rule. */
    private static List<String> allowed(JsonNode seccomp) {
        for (JsonNode rule : seccomp.path("syscalls")) {
            if (rule.path("action").asText().equals("SCMP_ACT_ALLOW") && !rule.has("args")) {
                return texts(rule.path("names"));
            }
        }
        return List.of();
    }

    /** The first rule just for {@code name}, or a missing node. */
    private static JsonNode rule(JsonNode seccomp, String name) {
        for (JsonNode rule : seccomp.path("syscalls")) {
            if (texts(rule.path("names")).equals(List.of(name))) {
                return rule;
            }
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }
}
