package io.crisp.plugin.kata.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class ExecProcessJsonTest {
    @Test
    void containersProcessWithArgsTerminalAndNoConsoleSize() {
        Map<String, Object> spec = TestSpecs.privilegedContainer();
        String json = OciSpecEdits.execProcessJson(spec, List.of("ls", "-l", "/tmp"), true);

        assertEquals("{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"ls\",\"-l\",\"/tmp\"],"
                + "\"env\":[\"PATH=/usr/bin:/bin\"],\"cwd\":\"/\",\"capabilities\":{\"bounding\":[\"CAP_SYS_ADMIN\"]},"
                + "\"noNewPrivileges\":false}", json);
    }

    @Test
    void specIsNotChanged() {
        Map<String, Object> spec = TestSpecs.privilegedContainer();
        String before = Json.write(spec);
        OciSpecEdits.execProcessJson(spec, List.of("true"), true);
        assertEquals(before, Json.write(spec));
    }

    @Test
    void terminalAddedWhenTheProcessHadNone() {
        Map<String, Object> spec = Json.parseObject("{\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}}");
        assertEquals("{\"args\":[\"echo\",\"a \\\"b\\\"\"],\"cwd\":\"/\",\"terminal\":false}",
                OciSpecEdits.execProcessJson(spec, List.of("echo", "a \"b\""), false));
    }

    @Test
    void resultParsesBackToTheProcessObject() {
        Map<String, Object> spec = TestSpecs.normalContainer();
        Map<String, Object> exec = Json.parseObject(OciSpecEdits.execProcessJson(spec, List.of("sh"), false));
        assertEquals(List.of("sh"), exec.get("args"));
        assertEquals(false, exec.get("terminal"));
        assertFalse(exec.containsKey("consoleSize"));
        assertEquals("/", exec.get("cwd"));
    }

    @Test
    void refusesMissingProcessAndEmptyCommand() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OciSpecEdits.execProcessJson(Json.parseObject("{}"), List.of("sh"), false));
        assertEquals("spec has no process", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> OciSpecEdits.execProcessJson(TestSpecs.normalContainer(), List.of(), false));
        assertThrows(NullPointerException.class,
                () -> OciSpecEdits.execProcessJson(TestSpecs.normalContainer(), Arrays.asList("sh", null), false));
    }

    @Test
    void typeUrlIsContainerdsProcessType() {
        assertEquals("types.containerd.io/opencontainers/runtime-spec/1/Process", OciSpecEdits.PROCESS_TYPE_URL);
    }
}
