package io.crisp.core.cdi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.spi.BackendException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CDI spec files to OCI spec edits: names, directories, file formats and each kind of edit. */
final class CdiTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void requestedNamesComeFromTheFieldAndTheAnnotationsOnce() {
        Map<String, String> r = CdiEdits.requested(List.of("a.com/x=1"), Map.of("cdi.k8s.io/p", "a.com/x=1, b.org/y=2",
                "other/key", "c.com/z=3"));
        assertEquals(Map.of("a.com/x=1", "config.CDI_devices[0].name", "b.org/y=2", "config.annotations[cdi.k8s.io/p]"), r);
    }

    @Test
    void unknownAndMalformedNamesAreInvalidArguments() throws Exception {
        Path etc = Files.createDirectories(tmp.resolve("etc"));
        Files.writeString(etc.resolve("a.json"), "{\"cdiVersion\":\"0.6.0\",\"kind\":\"a.com/x\",\"devices\":[{\"name\":\"1\"}]}");
        CdiRegistry registry = new CdiRegistry(List.of(etc, tmp.resolve("missing")));
        BackendException e = assertThrows(BackendException.class, () -> registry.resolve(Map.of("a.com/x=2", "config.CDI_devices[0].name")));
        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("config.CDI_devices[0].name") && e.getMessage().contains("'a.com/x=2'"), e.getMessage());
        e = assertThrows(BackendException.class, () -> registry.resolve(Map.of("nokind", "f")));
        assertTrue(e.getMessage().contains("not a qualified CDI device name"), e.getMessage());
        assertEquals(1, registry.resolve(Map.of("a.com/x=1", "f")).size());
    }

    @Test
    void aLaterDirectoryWinsAndBrokenFilesAreSkipped() throws Exception {
        Path etc = Files.createDirectories(tmp.resolve("etc"));
        Path run = Files.createDirectories(tmp.resolve("run"));
        Files.writeString(etc.resolve("a.yaml"), "cdiVersion: 0.6.0\nkind: a.com/x\ndevices:\n- name: \"1\"\n  containerEdits:\n"
                + "    env: [\"FROM=etc\"]\n");
        Files.writeString(run.resolve("a.yml"), "cdiVersion: 0.6.0\nkind: a.com/x\ndevices:\n- name: \"1\"\n  containerEdits:\n"
                + "    env: [\"FROM=run\"]\n");
        Files.writeString(run.resolve("broken.json"), "{not json");
        Files.writeString(run.resolve("nokind.json"), "{\"cdiVersion\":\"0.6.0\",\"devices\":[{\"name\":\"9\"}]}");
        List<CdiRegistry.Device> devices = new CdiRegistry(List.of(etc, run)).resolve(Map.of("a.com/x=1", "f"));
        assertEquals("FROM=run", devices.get(0).deviceEdits().path("env").get(0).asText());
    }

    @Test
    void editsReachTheSpec() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("cdi"));
        Files.writeString(dir.resolve("v.json"), """
                {"cdiVersion": "0.6.0", "kind": "vendor.com/gpu",
                 "containerEdits": {"env": ["PATH=/cdi/bin", "SPEC=1"],
                                    "hooks": [{"hookName": "createContainer", "path": "/usr/bin/hook", "args": ["hook", "x"]}]},
                 "devices": [
                   {"name": "0", "containerEdits": {
                     "deviceNodes": [{"path": "/dev/gpu0", "type": "c", "major": 195, "minor": 0, "fileMode": 438,
                                      "permissions": "rw"}],
                     "mounts": [{"hostPath": "/opt/lib", "containerPath": "/usr/lib/gpu", "options": ["ro", "rbind"]}],
                     "additionalGIDs": [44]}},
                   {"name": "1", "containerEdits": {"env": ["DEV=1"]}}]}
                """);
        ObjectNode spec = (ObjectNode) JSON.readTree("""
                {"process": {"env": ["PATH=/bin", "A=1"], "user": {"uid": 0, "gid": 0}},
                 "mounts": [{"destination": "/usr/lib/gpu", "type": "bind", "source": "/old", "options": []}],
                 "linux": {"devices": [], "resources": {"devices": [{"allow": false, "access": "rwm"}]}}}
                """);
        CdiEdits.apply(spec, new CdiRegistry(List.of(dir)).resolve(CdiEdits.requested(List.of("vendor.com/gpu=0",
                "vendor.com/gpu=1"), Map.of())));
        assertEquals(List.of("PATH=/cdi/bin", "A=1", "SPEC=1", "DEV=1"), texts(spec.path("process").path("env")));
        assertEquals(List.of("44"), texts(spec.path("process").path("user").path("additionalGids")));
        JsonNode dev = spec.path("linux").path("devices").get(0);
        assertEquals("/dev/gpu0 c 195 0 438", dev.path("path").asText() + " " + dev.path("type").asText() + " "
                + dev.path("major").asInt() + " " + dev.path("minor").asInt() + " " + dev.path("fileMode").asInt());
        JsonNode rule = spec.path("linux").path("resources").path("devices").get(1);
        assertEquals("true c 195 0 rw", rule.path("allow").asText() + " " + rule.path("type").asText() + " "
                + rule.path("major").asInt() + " " + rule.path("minor").asInt() + " " + rule.path("access").asText());
        assertEquals(1, spec.path("mounts").size(), "the CDI mount replaces the one at the same destination");
        assertEquals("/opt/lib", spec.path("mounts").get(0).path("source").asText());
        JsonNode hook = spec.path("hooks").path("createContainer").get(0);
        assertEquals("/usr/bin/hook", hook.path("path").asText());
        assertEquals(List.of("hook", "x"), texts(hook.path("args")));
    }

    @Test
    void aDeviceNodeWithoutNumbersIsReadFromTheHost() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("cdi"));
        Files.writeString(dir.resolve("n.yaml"), "cdiVersion: 0.6.0\nkind: x.io/null\ndevices:\n- name: n\n  containerEdits:\n"
                + "    deviceNodes:\n    - path: /dev/mynull\n      hostPath: /dev/null\n");
        ObjectNode spec = JSON.createObjectNode();
        CdiEdits.apply(spec, new CdiRegistry(List.of(dir)).resolve(Map.of("x.io/null=n", "f")));
        JsonNode dev = spec.path("linux").path("devices").get(0);
        assertEquals("c 1 3", dev.path("type").asText() + " " + dev.path("major").asInt() + " " + dev.path("minor").asInt());
        assertEquals("rwm", spec.path("linux").path("resources").path("devices").get(0).path("access").asText());
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
