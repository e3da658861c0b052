package io.crisp.core.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.spi.BackendException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OCI process of an exec, derived by the core from the container's config.json. */
final class ExecProcessesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private ObjectNode containerSpec() throws Exception {
        Path rootfs = Fixtures.rootfs(tmp.resolve("rootfs"));
        ContainerSecurity security = Fixtures.security(List.of("NET_ADMIN"), List.of(), false, 1000, "", -1, Fixtures.RUNTIME_DEFAULT);
        return new OciSpecs(CgroupDriver.CGROUPFS, Fixtures.HOST).container("c1", "sb1", Fixtures.pod(), Fixtures.container(security),
                Fixtures.image(""), rootfs, PodFiles.at(tmp.resolve("pod")), 42, -1);
    }

    @Test
    void containersProcessWithArgsAndTerminal() throws Exception {
        ObjectNode spec = containerSpec();
        spec.with("process").putObject("consoleSize").put("height", 24).put("width", 80);
        JsonNode exec = JSON.readTree(ExecProcesses.processJson(spec, List.of("ls", "-l", "/tmp"), true));

        assertEquals("[\"ls\",\"-l\",\"/tmp\"]", exec.path("args").toString());
        assertTrue(exec.path("terminal").booleanValue());
        assertFalse(exec.has("consoleSize"));
        JsonNode process = spec.path("process");
        for (String field : List.of("user", "env", "cwd", "capabilities", "noNewPrivileges", "oomScoreAdj")) {
            assertEquals(process.path(field).toString(), exec.path(field).toString(), field);
        }
        assertEquals(1000, exec.path("user").path("uid").asInt());
        assertTrue(exec.path("capabilities").path("bounding").toString().contains("NET_ADMIN"), exec.path("capabilities").toString());
    }

    @Test
    void specIsNotChangedAndTerminalIsAddedWhenMissing() throws Exception {
        ObjectNode spec = containerSpec();
        String before = spec.toString();
        ExecProcesses.processJson(spec, List.of("true"), true);
        assertEquals(before, spec.toString());

        JsonNode bare = JSON.readTree("{\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}}");
        assertEquals("{\"args\":[\"echo\",\"a \\\"b\\\"\"],\"cwd\":\"/\",\"terminal\":false}",
                ExecProcesses.processJson(bare, List.of("echo", "a \"b\""), false));
    }

    @Test
    void refusesMissingProcessAndEmptyCommand() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExecProcesses.processJson(JSON.readTree("{}"), List.of("sh"), false));
        assertEquals("spec has no process", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ExecProcesses.processJson(containerSpec(), List.of(), false));
    }

    @Test
    void readsTheBundlesConfigJson() throws Exception {
        Path bundle = Files.createDirectories(tmp.resolve("bundle"));
        OciSpecs.write(bundle, containerSpec());
        JsonNode exec = JSON.readTree(ExecProcesses.processJson(bundle, List.of("id"), false));
        assertEquals("[\"id\"]", exec.path("args").toString());

        BackendException e = assertThrows(BackendException.class,
                () -> ExecProcesses.processJson(tmp.resolve("missing"), List.of("id"), false));
        assertEquals(BackendException.Kind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    }
}
