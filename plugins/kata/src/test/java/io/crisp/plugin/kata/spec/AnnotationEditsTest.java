package io.crisp.plugin.kata.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

final class AnnotationEditsTest {
    private static final Set<String> POD_KEYS = Set.of(
            "io.katacontainers.config.hypervisor.default_memory",
            "io.katacontainers.config/weird",
            "example.com/team",
            "sidecar.istio.io/inject");

    @Test
    void annotationsInOrder() {
        Map<String, String> annotations = OciSpecEdits.annotations(TestSpecs.sandbox());
        assertEquals("io.kubernetes.cri.container-type", annotations.keySet().iterator().next());
        assertEquals("4096", annotations.get("io.katacontainers.config.hypervisor.default_memory"));
        assertEquals(7, annotations.size());
        assertThrows(UnsupportedOperationException.class, () -> annotations.put("a", "b"));
    }

    @Test
    void noAnnotationsIsEmpty() {
        assertEquals(Map.of(), OciSpecEdits.annotations(Json.parseObject("{}")));
        assertEquals(Map.of(), OciSpecEdits.annotations(Json.parseObject("{\"annotations\":null}")));
    }

    @Test
    void annotationsOfWrongTypeAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OciSpecEdits.annotations(Json.parseObject("{\"annotations\":{\"a\":1}}")));
        assertEquals("spec: annotation a is a number, expected a string", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> OciSpecEdits.annotations(Json.parseObject("{\"annotations\":[]}")));
        assertEquals("spec: annotations is an array, expected an object", e.getMessage());
    }

    @Test
    void filterKeepsAllowedPodAnnotationsAndEverythingTheRuntimeSet() {
        Map<String, Object> spec = TestSpecs.sandbox();
        List<String> removed = OciSpecEdits.filterAnnotations(spec, POD_KEYS, List.of("io.katacontainers.*"));

        // As containerd's path.Match: '*' does not cross '/'.
        assertEquals(List.of("io.katacontainers.config/weird", "example.com/team", "sidecar.istio.io/inject"), removed);
        assertEquals(List.of(
                "io.kubernetes.cri.container-type",
                "io.kubernetes.cri.sandbox-id",
                "io.kubernetes.cri.sandbox-name",
                "io.katacontainers.config.hypervisor.default_memory"),
                new ArrayList<>(OciSpecEdits.annotations(spec).keySet()));
    }

    @Test
    void withoutGlobsEveryPodAnnotationGoes() {
        Map<String, Object> spec = TestSpecs.sandbox();
        assertEquals(4, OciSpecEdits.filterAnnotations(spec, POD_KEYS, List.of()).size());
        assertEquals(Set.of("io.kubernetes.cri.container-type", "io.kubernetes.cri.sandbox-id",
                "io.kubernetes.cri.sandbox-name"), OciSpecEdits.annotations(spec).keySet());
    }

    @Test
    void severalGlobsAndExactKeys() {
        Map<String, Object> spec = TestSpecs.sandbox();
        List<String> removed = OciSpecEdits.filterAnnotations(spec, POD_KEYS,
                List.of("example.com/team", "*.istio.io/*"));
        assertEquals(List.of("io.katacontainers.config.hypervisor.default_memory", "io.katacontainers.config/weird"),
                removed);
    }

    @Test
    void aPodKeyTheRuntimeAlsoUsesIsFilteredLikeAnyPodAnnotation() {
        Map<String, Object> spec = TestSpecs.sandbox();
        List<String> removed = OciSpecEdits.filterAnnotations(spec,
                Set.of("io.kubernetes.cri.sandbox-name", "not.in.spec"), List.of("*.katacontainers.*"));
        assertEquals(List.of("io.kubernetes.cri.sandbox-name"), removed);
    }

    @Test
    void filterWithoutAnnotationsChangesNothing() {
        Map<String, Object> spec = Json.parseObject("{\"ociVersion\":\"1.1.0\"}");
        assertEquals(List.of(), OciSpecEdits.filterAnnotations(spec, POD_KEYS, List.of()));
        assertEquals("{\"ociVersion\":\"1.1.0\"}", Json.write(spec));
    }
}
