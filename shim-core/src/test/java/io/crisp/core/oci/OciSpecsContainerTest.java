package io.crisp.core.oci;

import static io.crisp.core.oci.OciSpecsSandboxTest.namespaces;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A container's spec: process, namespaces, mounts, devices and resources. Security is in OciSpecsSecurityTest. */
final class OciSpecsContainerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    private Path rootfs;
    private PodFiles files;
    private final OciSpecs specs = new OciSpecs(CgroupDriver.CGROUPFS, Fixtures.HOST);

    @BeforeEach
    void setUp() throws Exception {
        rootfs = Fixtures.rootfs(tmp.resolve("rootfs"));
        files = PodFiles.at(tmp.resolve("pod"));
    }

    private JsonNode spec(PodSettings pod, ContainerSettings c, ImageConfigSummary image, long targetPid) throws Exception {
        return JSON.readTree(JSON.writeValueAsBytes(specs.container("c1", "sb1", pod, c, image, rootfs, files, 42, targetPid)));
    }

    private JsonNode spec(ContainerSettings c) throws Exception {
        return spec(Fixtures.pod(), c, Fixtures.image("www"), -1);
    }

    @Test
    void processFromImageAndConfig() throws Exception {
        JsonNode p = spec(Fixtures.container(ContainerSecurity.DEFAULT)).path("process");
        assertEquals(List.of("/docker-entrypoint.sh", "nginx", "-g", "daemon off;"), texts(p.path("args")));
        assertEquals(List.of("PATH=/usr/bin:/bin", "A=config", "B=image", "HOME=/var/www"), texts(p.path("env")));
        assertEquals("/srv", p.path("cwd").asText());
        assertTrue(p.path("terminal").asBoolean());
        assertEquals(33, p.path("user").path("uid").asInt());
        assertEquals(List.of("2000"), texts(p.path("user").path("additionalGids")));
        assertFalse(p.path("noNewPrivileges").asBoolean());
    }

    @Test
    void kubeletArgumentRules() throws Exception {
        ImageConfigSummary image = Fixtures.image("");
        assertEquals(List.of("/bin/sh", "-c", "x"), args(Fixtures.withArgs(List.of("/bin/sh"), List.of("-c", "x"), ""), image));
        assertEquals(List.of("/bin/sh"), args(Fixtures.withArgs(List.of("/bin/sh"), List.of(), ""), image));
        assertEquals(List.of("/docker-entrypoint.sh", "x"), args(Fixtures.withArgs(List.of(), List.of("x"), ""), image));
        ImageConfigSummary cmdOnly = new ImageConfigSummary("", List.of(), List.of(), List.of("sleep", "1"), "", "",
                List.of(), Map.of());
        assertEquals(List.of("sleep", "1"), args(Fixtures.withArgs(List.of(), List.of(), ""), cmdOnly));
        assertEquals(List.of("echo"), args(Fixtures.withArgs(List.of(), List.of("echo"), ""), cmdOnly));
        ImageConfigSummary nothing = new ImageConfigSummary("", List.of(), List.of(), List.of(), "", "", List.of(), Map.of());
        BackendException e = assertThrows(BackendException.class,
                () -> args(Fixtures.withArgs(List.of(), List.of(), ""), nothing));
        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().startsWith("no command specified"), e.getMessage());
        JsonNode p = spec(Fixtures.pod(), Fixtures.withArgs(List.of("x"), List.of(), "/work"), nothing, -1).path("process");
        assertEquals("/work", p.path("cwd").asText());
        assertTrue(texts(p.path("env")).contains("PATH=" + ProcessArgs.DEFAULT_PATH));
        assertEquals("/", spec(Fixtures.pod(), Fixtures.withArgs(List.of("x"), List.of(), ""), nothing, -1)
                .path("process").path("cwd").asText());
    }

    private List<String> args(ContainerSettings c, ImageConfigSummary image) throws Exception {
        return texts(spec(Fixtures.pod(), c, image, -1).path("process").path("args"));
    }

    @Test
    void namespacesJoinTheInfra() throws Exception {
        ContainerSettings c = Fixtures.container(ContainerSecurity.DEFAULT);
        JsonNode spec = spec(c);
        assertEquals(List.of("mount", "network=/proc/42/ns/net", "uts=/proc/42/ns/uts", "ipc=/proc/42/ns/ipc",
                "pid=/proc/42/ns/pid"), namespaces(spec));
        assertFalse(spec.has("hostname"));
        PodSettings host = Fixtures.pod(NamespaceMode.NODE, NamespaceMode.NODE, NamespaceMode.NODE, false);
        assertEquals(List.of("mount"), namespaces(spec(host, c, Fixtures.image(""), -1)));
        ContainerSettings own = Fixtures.container(ContainerSecurity.DEFAULT, List.of(), NamespaceMode.CONTAINER);
        assertTrue(namespaces(spec(own)).contains("pid"));
        ContainerSettings node = Fixtures.container(ContainerSecurity.DEFAULT, List.of(), NamespaceMode.NODE);
        assertFalse(namespaces(spec(node)).stream().anyMatch(n -> n.startsWith("pid")));
        ContainerSettings target = Fixtures.container(ContainerSecurity.DEFAULT, List.of(), NamespaceMode.TARGET);
        assertTrue(namespaces(spec(Fixtures.pod(), target, Fixtures.image(""), 77)).contains("pid=/proc/77/ns/pid"));
        BackendException e = assertThrows(BackendException.class, () -> spec(Fixtures.pod(), target, Fixtures.image(""), -1));
        assertEquals(BackendException.Kind.FAILED_PRECONDITION, e.kind());
        JsonNode a = spec.path("annotations");
        assertEquals("container", a.path("io.kubernetes.cri.container-type").asText());
        assertEquals("sb1", a.path("io.kubernetes.cri.sandbox-id").asText());
        assertEquals("web", a.path("io.kubernetes.cri.sandbox-name").asText());
        assertEquals("app", a.path("io.kubernetes.cri.container-name").asText());
        assertEquals("docker.io/library/nginx:1", a.path("io.kubernetes.cri.image-name").asText());
        assertEquals("c", a.path("ctr-note").asText());
        assertEquals("/crisp/crisp-c1", spec.path("linux").path("cgroupsPath").asText());
        assertFalse(spec.path("linux").has("sysctl"), "sysctls live on the infra");
    }

    @Test
    void sandboxSizingIsOnTheSandboxSpecOnlyAsInContainerd() throws Exception {
        ResourceSettings res = new ResourceSettings(100000, 50000, 2, 1048576, 0, "", "", Map.of(), Map.of(), 0);
        JsonNode a = spec(Fixtures.pod(Map.of(), res), Fixtures.container(ContainerSecurity.DEFAULT), Fixtures.image("www"), -1)
                .path("annotations");
        assertEquals("container", a.path("io.kubernetes.cri.container-type").asText());
        for (String key : List.of("io.kubernetes.cri.sandbox-cpu-period", "io.kubernetes.cri.sandbox-cpu-quota",
                "io.kubernetes.cri.sandbox-cpu-shares", "io.kubernetes.cri.sandbox-memory")) {
            assertFalse(a.has(key), key);
        }
    }

    private static Map<String, JsonNode> mounts(JsonNode spec) {
        Map<String, JsonNode> out = new java.util.LinkedHashMap<>();
        spec.path("mounts").forEach(m -> out.put(m.path("destination").asText(), m));
        return out;
    }

    @Test
    void standardAndPodMounts() throws Exception {
        JsonNode spec = spec(Fixtures.container(ContainerSecurity.DEFAULT));
        Map<String, JsonNode> m = mounts(spec);
        assertEquals(List.of("/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys", "/sys/fs/cgroup", "/dev/shm", "/etc/hostname",
                "/etc/hosts", "/etc/resolv.conf"), new ArrayList<>(m.keySet()));
        assertEquals("proc", m.get("/proc").path("type").asText());
        assertTrue(texts(m.get("/dev").path("options")).contains("mode=755"));
        assertTrue(texts(m.get("/dev/pts").path("options")).containsAll(List.of("newinstance", "ptmxmode=0666", "mode=0620",
                "gid=5")));
        assertTrue(texts(m.get("/sys").path("options")).contains("ro"));
        assertTrue(texts(m.get("/sys/fs/cgroup").path("options")).contains("ro"));
        assertEquals(files.shm().toString(), m.get("/dev/shm").path("source").asText());
        assertTrue(texts(m.get("/dev/shm").path("options")).containsAll(List.of("rbind", "rw")));
        assertEquals(files.resolvConf().toString(), m.get("/etc/resolv.conf").path("source").asText());
        assertTrue(texts(m.get("/etc/hosts").path("options")).contains("rw"));
        assertFalse(spec.path("root").path("readonly").asBoolean());
    }

    @Test
    void criMountsReplaceStandardOnesAndSetPropagation() throws Exception {
        Path missing = tmp.resolve("host/data/missing");
        List<MountSettings> criMounts = List.of(
                new MountSettings("/data/sub", tmp.toString(), false, "rshared"),
                new MountSettings("/data", missing.toString(), true, "rslave"),
                new MountSettings("/etc/hosts", "/etc/hosts", true, "private"),
                new MountSettings("/dev/termination-log", tmp.toString(), false, "private"));
        JsonNode spec = spec(Fixtures.container(ContainerSecurity.DEFAULT, criMounts, NamespaceMode.POD));
        Map<String, JsonNode> m = mounts(spec);
        assertTrue(Files.isDirectory(missing), "a missing host path is created");
        List<String> destinations = new ArrayList<>();
        spec.path("mounts").forEach(x -> destinations.add(x.path("destination").asText()));
        assertEquals(1, destinations.stream().filter("/etc/hosts"::equals).count());
        assertTrue(destinations.indexOf("/data") < destinations.indexOf("/data/sub"), "parents first: " + destinations);
        assertEquals("/etc/hosts", m.get("/etc/hosts").path("source").asText());
        assertEquals(List.of("rbind", "rprivate", "ro"), texts(m.get("/etc/hosts").path("options")));
        assertEquals(List.of("rbind", "rslave", "ro"), texts(m.get("/data").path("options")));
        assertEquals(List.of("rbind", "rshared", "rw"), texts(m.get("/data/sub").path("options")));
        assertEquals("bind", m.get("/dev/termination-log").path("type").asText());
        assertEquals("rshared", spec.path("linux").path("rootfsPropagation").asText());
        JsonNode slaveOnly = spec(Fixtures.container(ContainerSecurity.DEFAULT, List.of(criMounts.get(1)), NamespaceMode.POD));
        assertEquals("rslave", slaveOnly.path("linux").path("rootfsPropagation").asText());
        assertFalse(spec(Fixtures.container(ContainerSecurity.DEFAULT)).path("linux").has("rootfsPropagation"));
    }

    @Test
    void hostIpcUsesTheHostsShm() throws Exception {
        PodSettings pod = Fixtures.pod(NamespaceMode.POD, NamespaceMode.POD, NamespaceMode.NODE, false);
        JsonNode spec = spec(pod, Fixtures.container(ContainerSecurity.DEFAULT), Fixtures.image(""), -1);
        assertEquals("/dev/shm", mounts(spec).get("/dev/shm").path("source").asText());
    }

    @Test
    void devicesAndDeviceRules() throws Exception {
        ContainerSettings c = Fixtures.withResources(ResourceSettings.NONE,
                List.of(new DeviceSettings("/dev/mynull", "/dev/null", "rw")));
        JsonNode linux = spec(c).path("linux");
        JsonNode dev = linux.path("devices").get(0);
        assertEquals("/dev/mynull", dev.path("path").asText());
        assertEquals("c", dev.path("type").asText());
        assertEquals(1, dev.path("major").asInt());
        assertEquals(3, dev.path("minor").asInt());
        assertEquals(0666, dev.path("fileMode").asInt());
        JsonNode rules = linux.path("resources").path("devices");
        assertFalse(rules.get(0).path("allow").asBoolean());
        JsonNode last = rules.get(rules.size() - 1);
        assertEquals(List.of("true", "c", "1", "3", "rw"), List.of(last.path("allow").asText(), last.path("type").asText(),
                last.path("major").asText(), last.path("minor").asText(), last.path("access").asText()));
        ContainerSettings notADevice = Fixtures.withResources(ResourceSettings.NONE,
                List.of(new DeviceSettings("/dev/x", rootfs.resolve("etc/passwd").toString(), "rwm")));
        BackendException e = assertThrows(BackendException.class, () -> spec(notADevice));
        assertTrue(e.getMessage().startsWith("config.devices[0].host_path:"), e.getMessage());
    }

    @Test
    void resources() throws Exception {
        ResourceSettings r = new ResourceSettings(100000, 50000, 512, 1 << 30, 900, "0-1", "0", Map.of("2MB", 4194304L),
                Map.of("memory.high", "1000"), 0);
        JsonNode res = spec(Fixtures.withResources(r, List.of())).path("linux").path("resources");
        assertEquals(512, res.path("cpu").path("shares").asInt());
        assertEquals(50000, res.path("cpu").path("quota").asInt());
        assertEquals(100000, res.path("cpu").path("period").asInt());
        assertEquals("0-1", res.path("cpu").path("cpus").asText());
        assertEquals("0", res.path("cpu").path("mems").asText());
        assertEquals(1 << 30, res.path("memory").path("limit").asLong());
        assertFalse(res.path("memory").has("swap"), "swap stays unset unless given");
        assertEquals("2MB", res.path("hugepageLimits").get(0).path("pageSize").asText());
        assertFalse(res.has("unified"), "cgroup v1 host: unified is dropped");
        assertEquals(900, spec(Fixtures.withResources(r, List.of())).path("process").path("oomScoreAdj").asInt());

        JsonNode json = JSON.readTree(specs.resourcesJson(r));
        assertEquals(512, json.path("cpu").path("shares").asInt());
        assertFalse(json.has("devices"));
        OciSpecs v2 = new OciSpecs(CgroupDriver.CGROUPFS, new HostFacts(0, false, java.util.Set.of(), true, Capabilities.KNOWN_MASK));
        assertEquals("1000", JSON.readTree(v2.resourcesJson(r)).path("unified").path("memory.high").asText());
        ResourceSettings swap = new ResourceSettings(0, 0, 0, 100, 0, "", "", Map.of(), Map.of(), 200);
        assertEquals(200, JSON.readTree(specs.resourcesJson(swap)).path("memory").path("swap").asInt());
        assertEquals("{}", specs.resourcesJson(ResourceSettings.NONE));
    }
}
