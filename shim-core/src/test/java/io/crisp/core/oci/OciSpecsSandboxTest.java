package io.crisp.core.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The infra process's spec, parsed back as runc would read it. */
final class OciSpecsSandboxTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private JsonNode sandbox(PodSettings pod, CgroupDriver driver) throws Exception {
        Path rootfs = Fixtures.rootfs(tmp.resolve("rootfs"));
        ObjectNode spec = new OciSpecs(driver, Fixtures.HOST).sandbox("sb1", pod, Fixtures.pause(), rootfs,
                PodFiles.at(tmp.resolve("pod")));
        OciSpecs.write(tmp.resolve("bundle"), spec);
        return JSON.readTree(Files.readAllBytes(tmp.resolve("bundle/config.json")));
    }

    static List<String> namespaces(JsonNode spec) {
        List<String> out = new ArrayList<>();
        spec.path("linux").path("namespaces").forEach(n -> out.add(n.path("type").asText()
                + (n.has("path") ? "=" + n.path("path").asText() : "")));
        return out;
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void theInfraCreatesThePodsNamespacesAndHostname() throws Exception {
        JsonNode spec = sandbox(Fixtures.pod(), CgroupDriver.CGROUPFS);
        assertEquals("1.0.2", spec.path("ociVersion").asText());
        assertEquals(List.of("mount", "network", "uts", "ipc", "pid"), namespaces(spec));
        assertEquals("web-0", spec.path("hostname").asText());
        assertEquals(tmp.resolve("rootfs").toAbsolutePath().toString(), spec.path("root").path("path").asText());
        assertTrue(spec.path("root").path("readonly").asBoolean());
        JsonNode process = spec.path("process");
        assertEquals(List.of("/pause"), texts(process.path("args")));
        assertEquals(65535, process.path("user").path("uid").asInt());
        assertEquals(65535, process.path("user").path("gid").asInt());
        assertFalse(process.path("terminal").asBoolean());
        assertTrue(process.path("noNewPrivileges").asBoolean());
        assertEquals("/", process.path("cwd").asText());
        assertEquals(List.of(), texts(process.path("capabilities").path("bounding")));
        // -998 asked for, clamped to the daemon's own -500.
        assertEquals(-500, process.path("oomScoreAdj").asInt());
        assertEquals("/crisp/crisp-sb1", spec.path("linux").path("cgroupsPath").asText());
        assertEquals("1", spec.path("linux").path("sysctl").path("net.ipv4.ip_forward").asText());
        assertEquals("100", spec.path("linux").path("sysctl").path("kernel.shmmax").asText());
        assertEquals("SCMP_ACT_ERRNO", spec.path("linux").path("seccomp").path("defaultAction").asText());
        JsonNode a = spec.path("annotations");
        assertEquals("sandbox", a.path("io.kubernetes.cri.container-type").asText());
        assertEquals("sb1", a.path("io.kubernetes.cri.sandbox-id").asText());
        assertEquals("web", a.path("io.kubernetes.cri.sandbox-name").asText());
        assertEquals("default", a.path("io.kubernetes.cri.sandbox-namespace").asText());
        assertEquals("uid-1", a.path("io.kubernetes.cri.sandbox-uid").asText());
        assertEquals("p", a.path("pod-note").asText());
        assertFalse(process.has("apparmorProfile"), "AppArmor is disabled in the fixture host");
    }

    @Test
    void hostNamespacesAreNotCreated() throws Exception {
        JsonNode spec = sandbox(Fixtures.pod(NamespaceMode.NODE, NamespaceMode.NODE, NamespaceMode.NODE, false),
                CgroupDriver.CGROUPFS);
        assertEquals(List.of("mount"), namespaces(spec));
        assertFalse(spec.has("hostname"), "no hostname without a private uts namespace");
        assertFalse(spec.path("linux").path("sysctl").has("net.ipv4.ip_forward"), "no net.* sysctls on the host network");
        spec = sandbox(Fixtures.pod(NamespaceMode.POD, NamespaceMode.CONTAINER, NamespaceMode.NODE, false),
                CgroupDriver.CGROUPFS);
        assertEquals(List.of("mount", "network", "uts", "pid"), namespaces(spec));
    }

    @Test
    void noKnownHostnameLeavesTheRuntimesDefault() throws Exception {
        PodSettings p = Fixtures.pod();
        PodSettings noHostname = new PodSettings(p.name(), p.namespace(), p.uid(), p.attempt(), "", p.logDirectory(), p.dns(),
                p.labels(), p.annotations(), "kubepods-besteffort.slice", p.sysctls(), p.networkMode(), p.pidMode(),
                p.ipcMode(), 7, 8, false, List.of(9L), false, SecurityProfile.UNCONFINED, p.apparmor(), p.resources(),
                p.overhead());
        JsonNode spec = sandbox(noHostname, CgroupDriver.SYSTEMD);
        assertFalse(spec.has("hostname"), "never the pod's name: it may be longer than sethostname takes");
        assertEquals("kubepods-besteffort.slice:crisp:sb1", spec.path("linux").path("cgroupsPath").asText());
        assertEquals(7, spec.path("process").path("user").path("uid").asInt());
        assertEquals(8, spec.path("process").path("user").path("gid").asInt());
        assertEquals(List.of("9"), texts(spec.path("process").path("user").path("additionalGids")));
        assertFalse(spec.path("linux").has("seccomp"));
    }

    @Test
    void podResourcesBecomeContainerdsSandboxSizingAnnotations() throws Exception {
        ResourceSettings res = new ResourceSettings(100000, 250000, 512, 268435456, 0, "", "", Map.of(), Map.of(), 0);
        JsonNode a = sandbox(Fixtures.pod(Map.of(), res), CgroupDriver.CGROUPFS).path("annotations");
        assertEquals("100000", a.path("io.kubernetes.cri.sandbox-cpu-period").textValue());
        assertEquals("250000", a.path("io.kubernetes.cri.sandbox-cpu-quota").textValue());
        assertEquals("512", a.path("io.kubernetes.cri.sandbox-cpu-shares").textValue());
        assertEquals("268435456", a.path("io.kubernetes.cri.sandbox-memory").textValue());
    }

    @Test
    void unsetFieldsOfPresentResourcesAreWrittenAsZero() throws Exception {
        // containerd formats every field once the message is there; only cpuset was asked for here.
        ResourceSettings res = new ResourceSettings(0, 0, 0, 0, 0, "0-1", "", Map.of(), Map.of(), 0);
        JsonNode a = sandbox(Fixtures.pod(Map.of(), res), CgroupDriver.CGROUPFS).path("annotations");
        assertEquals("0", a.path("io.kubernetes.cri.sandbox-cpu-period").textValue());
        assertEquals("0", a.path("io.kubernetes.cri.sandbox-cpu-quota").textValue());
        assertEquals("0", a.path("io.kubernetes.cri.sandbox-cpu-shares").textValue());
        assertEquals("0", a.path("io.kubernetes.cri.sandbox-memory").textValue());
    }

    @Test
    void withoutPodResourcesThereAreNoSizingAnnotationsAndPodAnnotationsCannotForgeThem() throws Exception {
        Map<String, String> forged = Map.of("io.kubernetes.cri.sandbox-memory", "68719476736",
                "io.kubernetes.cri.sandbox-cpu-quota", "6400000", "pod-note", "p");
        JsonNode a = sandbox(Fixtures.pod(forged, ResourceSettings.NONE), CgroupDriver.CGROUPFS).path("annotations");
        for (String key : List.of("io.kubernetes.cri.sandbox-cpu-period", "io.kubernetes.cri.sandbox-cpu-quota",
                "io.kubernetes.cri.sandbox-cpu-shares", "io.kubernetes.cri.sandbox-memory")) {
            assertFalse(a.has(key), key);
        }
        assertEquals("p", a.path("pod-note").textValue());

        ResourceSettings res = new ResourceSettings(100000, 50000, 2, 1048576, 0, "", "", Map.of(), Map.of(), 0);
        JsonNode sized = sandbox(Fixtures.pod(forged, res), CgroupDriver.CGROUPFS).path("annotations");
        assertEquals("1048576", sized.path("io.kubernetes.cri.sandbox-memory").textValue());
        assertEquals("50000", sized.path("io.kubernetes.cri.sandbox-cpu-quota").textValue());
    }

    @Test
    void cgroupPaths() {
        OciSpecs cgroupfs = new OciSpecs(CgroupDriver.CGROUPFS, Fixtures.HOST);
        assertEquals("/crisp/crisp-x", cgroupfs.cgroupsPath("", "x"));
        assertEquals("/kubepods/burstable/pod1/crisp-x", cgroupfs.cgroupsPath("/kubepods/burstable/pod1", "x"));
        assertEquals("/kubepods/crisp-x", cgroupfs.cgroupsPath("kubepods/", "x"));
        OciSpecs systemd = new OciSpecs(CgroupDriver.SYSTEMD, Fixtures.HOST);
        assertEquals("system.slice:crisp:x", systemd.cgroupsPath("", "x"));
        assertEquals("kubepods-pod1.slice:crisp:x", systemd.cgroupsPath("/kubepods.slice/kubepods-pod1.slice", "x"));
        io.crisp.spi.BackendException e = org.junit.jupiter.api.Assertions.assertThrows(io.crisp.spi.BackendException.class,
                () -> systemd.cgroupsPath("/kubepods/pod1", "x"));
        assertTrue(e.getMessage().startsWith("config.linux.cgroup_parent:"), e.getMessage());
    }

    @Test
    void oomScoreIsClampedToTheDaemonsOwn() {
        OciSpecs specs = new OciSpecs(CgroupDriver.CGROUPFS, Fixtures.HOST);
        assertEquals(-500, specs.oomScoreAdj(-998));
        assertEquals(-500, specs.oomScoreAdj(-999));
        assertEquals(-400, specs.oomScoreAdj(-400));
        assertEquals(1000, specs.oomScoreAdj(5000));
    }
}
