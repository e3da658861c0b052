package io.crisp.plugin.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What vm_annotations writes, and how it rewrites a bundle's config.json. */
final class VmAnnotationsTest {
    @TempDir
    Path tmp;

    @Test
    void crioKeysFollowTheContainerdKeysTheCoreWrote() {
        Map<String, String> sandbox = Map.of("io.kubernetes.cri.container-type", "sandbox", "io.kubernetes.cri.sandbox-id", "sb1");
        assertEquals(Map.of("io.kubernetes.cri-o.ContainerType", "sandbox", "io.kubernetes.cri-o.SandboxID", "sb1"),
                VmAnnotations.crioKeys(sandbox, true, "sb1"));
        Map<String, String> container = Map.of("io.kubernetes.cri.container-type", "container", "io.kubernetes.cri.sandbox-id", "sb1");
        assertEquals(Map.of("io.kubernetes.cri-o.ContainerType", "container", "io.kubernetes.cri-o.SandboxID", "sb1"),
                VmAnnotations.crioKeys(container, false, "other"));
    }

    @Test
    void missingOrUnknownContainerdKeysFallBackToWhatTheBackendKnows() {
        assertEquals(Map.of("io.kubernetes.cri-o.ContainerType", "sandbox", "io.kubernetes.cri-o.SandboxID", "sb2"),
                VmAnnotations.crioKeys(Map.of(), true, "sb2"));
        assertEquals(Map.of("io.kubernetes.cri-o.ContainerType", "container", "io.kubernetes.cri-o.SandboxID", "sb2"),
                VmAnnotations.crioKeys(Map.of("io.kubernetes.cri.container-type", "podvm", "io.kubernetes.cri.sandbox-id", ""),
                        false, "sb2"));
    }

    @Test
    void forgedCrioValuesAreReplaced() {
        String json = "{\"annotations\":{\"io.kubernetes.cri-o.ContainerType\":\"sandbox\",\"io.kubernetes.cri.container-type\":"
                + "\"container\",\"io.kubernetes.cri.sandbox-id\":\"sb1\",\"io.kubernetes.cri-o.SandboxID\":\"evil\"}}";
        assertEquals("{\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\",\"io.kubernetes.cri.sandbox-id\":\"sb1\","
                + "\"io.kubernetes.cri-o.ContainerType\":\"container\",\"io.kubernetes.cri-o.SandboxID\":\"sb1\"}}",
                VmAnnotations.addTo(json, false, "sb1"));
    }

    @Test
    void theFileIsReplacedWithItsPermissionsAndNoLeftovers() throws Exception {
        Path config = tmp.resolve("config.json");
        Files.writeString(config, "{\"ociVersion\":\"1.0.2\",\"hostname\":\"h\u00e9\"}\n");
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r-----"));
        VmAnnotations.addTo(tmp, true, "sb\"1");
        assertEquals("{\"ociVersion\":\"1.0.2\",\"hostname\":\"h\u00e9\",\"annotations\":{\"io.kubernetes.cri-o.ContainerType\":"
                + "\"sandbox\",\"io.kubernetes.cri-o.SandboxID\":\"sb\\\"1\"}}\n", Files.readString(config));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(config)));
        try (var files = Files.list(tmp)) {
            assertEquals(List.of(config), files.toList());
        }
        String once = Files.readString(config);
        VmAnnotations.addTo(tmp, true, "sb\"1");
        assertEquals(once, Files.readString(config));
    }

    @Test
    void anUnusableFileIsLeftAlone() throws Exception {
        Path config = tmp.resolve("config.json");
        Files.write(config, new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xff, '"', '}'});
        assertThrows(IllegalArgumentException.class, () -> VmAnnotations.addTo(tmp, true, "sb"));
        Files.writeString(config, "{\"annotations\":[]}", StandardCharsets.UTF_8);
        assertThrows(IllegalArgumentException.class, () -> VmAnnotations.addTo(tmp, true, "sb"));
        assertEquals("{\"annotations\":[]}", Files.readString(config));
        try (var files = Files.list(tmp)) {
            assertEquals(List.of(config), files.toList());
        }
    }
}
