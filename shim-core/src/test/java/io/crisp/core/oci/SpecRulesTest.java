package io.crisp.core.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A handler's spec rules on the specs OciSpecs builds: pod_annotations, container_annotations,
 * privileged_without_host_devices and vm_annotations.
 */
final class SpecRulesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> POD_ANNOTATIONS = new LinkedHashMap<>();

    static {
        POD_ANNOTATIONS.put("io.katacontainers.config.hypervisor.default_memory", "4096");
        POD_ANNOTATIONS.put("io.katacontainers.config/weird", "1");
        POD_ANNOTATIONS.put("example.com/team", "blue");
        POD_ANNOTATIONS.put("sidecar.istio.io/inject", "false");
        POD_ANNOTATIONS.put("io.kubernetes.cri.sandbox-name", "forged");
    }

    @TempDir
    Path tmp;
    private Path rootfs;
    private final OciSpecs specs = new OciSpecs(CgroupDriver.CGROUPFS, Fixtures.HOST);

    @BeforeEach
    void setUp() throws Exception {
        rootfs = Fixtures.rootfs(tmp.resolve("rootfs"));
    }

    private ObjectNode sandbox() {
        PodSettings pod = Fixtures.pod(POD_ANNOTATIONS, ResourceSettings.NONE);
        return specs.sandbox("sb1", pod, Fixtures.pause(), rootfs, PodFiles.at(tmp.resolve("pod")));
    }

    private ObjectNode container(boolean privileged) throws Exception {
        ContainerSecurity security = Fixtures.security(List.of(), List.of(), privileged, 0, "", -1, Fixtures.RUNTIME_DEFAULT);
        ContainerSettings c = Fixtures.container(security);
        return specs.container("c1", "sb1", Fixtures.pod(), c, Fixtures.image(""), rootfs, PodFiles.at(tmp.resolve("pod")), 42, -1);
    }

    private static SpecRules pods(String... patterns) {
        return new SpecRules(Optional.of(List.of(patterns)), Optional.empty(), false, false);
    }

    private static List<String> keys(ObjectNode spec) {
        List<String> keys = new ArrayList<>();
        spec.path("annotations").fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    @Test
    void podAnnotationsKeepAllowedPodKeysAndEveryCoreKey() {
        ObjectNode spec = sandbox();
        List<String> removed = pods("io.katacontainers.*").applyToSandbox(spec, POD_ANNOTATIONS.keySet());

        // As containerd's path.Match: '*' does not cross '/'.
        assertEquals(Set.of("io.katacontainers.config/weird", "example.com/team", "sidecar.istio.io/inject"), Set.copyOf(removed));
        List<String> kept = keys(spec);
        assertTrue(kept.contains("io.katacontainers.config.hypervisor.default_memory"), kept.toString());
        assertEquals("4096", spec.path("annotations").path("io.katacontainers.config.hypervisor.default_memory").asText());
        for (String core : List.of(CriAnnotations.CONTAINER_TYPE, CriAnnotations.SANDBOX_ID, CriAnnotations.SANDBOX_NAME,
                CriAnnotations.SANDBOX_NAMESPACE, CriAnnotations.SANDBOX_UID, CriAnnotations.SANDBOX_LOG_DIRECTORY)) {
            assertTrue(kept.contains(core), core + " kept: " + kept);
        }
        // A pod cannot set a core key, and a core key is never filtered.
        assertEquals("web", spec.path("annotations").path(CriAnnotations.SANDBOX_NAME).asText());
    }

    @Test
    void withoutPatternsEveryAnnotationPassesAsRuncAlwaysDid() {
        ObjectNode spec = sandbox();
        String before = spec.toString();
        assertEquals(List.of(), SpecRules.NONE.applyToSandbox(spec, POD_ANNOTATIONS.keySet()));
        assertEquals(before, spec.toString());
        assertTrue(keys(spec).contains("sidecar.istio.io/inject"));
    }

    @Test
    void anEmptyListRemovesEveryPodAnnotation() {
        ObjectNode spec = sandbox();
        assertEquals(4, pods().applyToSandbox(spec, POD_ANNOTATIONS.keySet()).size());
        assertTrue(keys(spec).stream().allMatch(k -> k.startsWith("io.kubernetes.cri.")), keys(spec).toString());
    }

    @Test
    void severalPatternsAndExactKeys() {
        ObjectNode spec = sandbox();
        assertEquals(Set.of("io.katacontainers.config.hypervisor.default_memory", "io.katacontainers.config/weird"),
                Set.copyOf(pods("example.com/team", "*.istio.io/*").applyToSandbox(spec, POD_ANNOTATIONS.keySet())));
    }

    @Test
    void containerAnnotationsFilterTheContainersOwnKeysOnly() throws Exception {
        ObjectNode spec = container(false);
        assertEquals("c", spec.path("annotations").path("ctr-note").asText());
        assertEquals(List.of(), pods().applyToContainer(spec, List.of("ctr-note")), "pod_annotations leave containers alone");

        SpecRules rules = new SpecRules(Optional.empty(), Optional.of(List.of("example.com/*")), false, false);
        assertEquals(List.of("ctr-note"), rules.applyToContainer(spec, List.of("ctr-note")));
        assertFalse(keys(spec).contains("ctr-note"));
        assertEquals("app", spec.path("annotations").path(CriAnnotations.CONTAINER_NAME).asText());
    }

    @Test
    void defaultUlimitsBecomeTheProcessRlimits() throws Exception {
        SpecRules rules = new SpecRules(Optional.empty(), Optional.empty(), false, false,
                Ulimit.parseAll(List.of("nofile=1024:524288", "core=0:unlimited")));
        ObjectNode spec = container(false);
        ((ObjectNode) spec.get("process")).putArray("rlimits").addObject().put("type", "RLIMIT_NOFILE").put("hard", 5).put("soft", 5);
        rules.applyToContainer(spec, List.of());
        assertEquals("[{\"type\":\"RLIMIT_NOFILE\",\"hard\":524288,\"soft\":1024},"
                + "{\"type\":\"RLIMIT_CORE\",\"hard\":18446744073709551615,\"soft\":0}]",
                spec.path("process").path("rlimits").toString());
        ObjectNode none = container(false);
        String before = none.toString();
        SpecRules.NONE.applyToContainer(none, List.of());
        assertEquals(before, none.toString(), "no default_ulimits: the process inherits the daemon's");
    }

    @Test
    void privilegedWithoutHostDevicesStripsDevicesAndAllowAll() throws Exception {
        SpecRules rules = new SpecRules(Optional.empty(), Optional.empty(), true, false);
        ObjectNode spec = container(true);
        assertEquals("[{\"allow\":true,\"access\":\"rwm\"}]", spec.path("linux").path("resources").path("devices").toString());
        rules.applyToContainer(spec, List.of());
        assertEquals("[{\"allow\":false,\"access\":\"rwm\"}]", spec.path("linux").path("resources").path("devices").toString());
        assertEquals("[]", spec.path("linux").path("devices").toString());

        // The same handler leaves an ordinary container as it was; without the key a privileged one keeps all.
        ObjectNode normal = container(false);
        String before = normal.toString();
        rules.applyToContainer(normal, List.of());
        assertEquals(before, normal.toString());
        ObjectNode privileged = container(true);
        before = privileged.toString();
        SpecRules.NONE.applyToContainer(privileged, List.of());
        assertEquals(before, privileged.toString());
    }

    @Test
    void stripHostDevicesKeepsSpecificRulesAndTheRestOfTheSpec() throws Exception {
        ObjectNode spec = (ObjectNode) JSON.readTree("""
                {"process":{"args":["sh"]},"linux":{
                  "devices":[{"path":"/dev/sda","type":"b","major":8,"minor":0}],
                  "resources":{"devices":[{"allow":false,"access":"rwm"},
                    {"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"},{"allow":true,"access":"rwm"}],
                    "memory":{"limit":18446744073709551615}},
                  "maskedPaths":[]}}""");
        assertTrue(SpecRules.stripHostDevices(spec));
        assertEquals("{\"process\":{\"args\":[\"sh\"]},\"linux\":{\"devices\":[],\"resources\":{\"devices\":["
                + "{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"
                + "{\"allow\":false,\"access\":\"rwm\"}],\"memory\":{\"limit\":18446744073709551615}},\"maskedPaths\":[]}}",
                spec.toString());
        String once = spec.toString();
        assertFalse(SpecRules.stripHostDevices(spec), "a second call finds nothing to do");
        assertEquals(once, spec.toString());
    }

    @Test
    void stripHostDevicesEdgeCases() throws Exception {
        ObjectNode nulls = (ObjectNode) JSON.readTree("{\"linux\":{\"resources\":{\"devices\":"
                + "[{\"allow\":true,\"type\":null,\"major\":null,\"minor\":null,\"access\":\"rwm\"}]}}}");
        assertTrue(SpecRules.stripHostDevices(nulls), "allow-all with JSON null fields is privileged");
        assertEquals("{\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}}}", nulls.toString());

        ObjectNode noList = (ObjectNode) JSON.readTree("{\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwm\"}]}}}");
        assertTrue(SpecRules.stripHostDevices(noList));
        assertFalse(noList.path("linux").has("devices"), "no device list is added");

        ObjectNode partial = (ObjectNode) JSON.readTree("{\"linux\":{\"devices\":[{\"path\":\"/dev/fuse\"}],\"resources\":{\"devices\":"
                + "[{\"allow\":true,\"type\":\"b\",\"access\":\"rwm\"},{\"allow\":true,\"access\":\"rw\"}]}}}");
        String before = partial.toString();
        assertFalse(SpecRules.stripHostDevices(partial), "rules that name a type or lack 'm' are not allow-all");
        assertEquals(before, partial.toString());

        for (String text : new String[] {"{}", "{\"linux\":{}}", "{\"linux\":{\"resources\":{}}}",
                "{\"linux\":{\"resources\":{\"devices\":null}}}"}) {
            ObjectNode spec = (ObjectNode) JSON.readTree(text);
            assertFalse(SpecRules.stripHostDevices(spec), text);
            assertEquals(text, spec.toString());
        }
    }

    @Test
    void vmAnnotationsAddCrioKeysFromTheCoresOwn() throws Exception {
        SpecRules rules = new SpecRules(Optional.empty(), Optional.empty(), false, true);
        ObjectNode sandbox = sandbox();
        rules.applyToSandbox(sandbox, POD_ANNOTATIONS.keySet());
        assertEquals("sandbox", sandbox.path("annotations").path(SpecRules.CRIO_CONTAINER_TYPE).asText());
        assertEquals("sb1", sandbox.path("annotations").path(SpecRules.CRIO_SANDBOX_ID).asText());

        ObjectNode container = container(false);
        rules.applyToContainer(container, List.of());
        assertEquals("container", container.path("annotations").path(SpecRules.CRIO_CONTAINER_TYPE).asText());
        assertEquals("sb1", container.path("annotations").path(SpecRules.CRIO_SANDBOX_ID).asText());

        ObjectNode plain = container(false);
        SpecRules.NONE.applyToContainer(plain, List.of());
        assertFalse(plain.path("annotations").has(SpecRules.CRIO_CONTAINER_TYPE), "off by default: the spec is not touched");
    }

    @Test
    void vmAnnotationsReplaceForgedCrioValuesAndFallBack() throws Exception {
        SpecRules rules = new SpecRules(Optional.empty(), Optional.empty(), false, true);
        ObjectNode forged = (ObjectNode) JSON.readTree("{\"annotations\":{\"io.kubernetes.cri-o.ContainerType\":\"sandbox\","
                + "\"io.kubernetes.cri.container-type\":\"container\",\"io.kubernetes.cri.sandbox-id\":\"sb1\","
                + "\"io.kubernetes.cri-o.SandboxID\":\"evil\"}}");
        rules.applyToContainer(forged, List.of("io.kubernetes.cri-o.ContainerType", "io.kubernetes.cri-o.SandboxID"));
        assertEquals("{\"annotations\":{\"io.kubernetes.cri-o.ContainerType\":\"container\",\"io.kubernetes.cri.container-type\":"
                + "\"container\",\"io.kubernetes.cri.sandbox-id\":\"sb1\",\"io.kubernetes.cri-o.SandboxID\":\"sb1\"}}", forged.toString());

        ObjectNode unknownType = (ObjectNode) JSON.readTree("{\"annotations\":{\"io.kubernetes.cri.container-type\":\"podvm\"}}");
        rules.applyToSandbox(unknownType, List.of());
        assertEquals("sandbox", unknownType.path("annotations").path(SpecRules.CRIO_CONTAINER_TYPE).asText());
    }
}
