package io.crisp.plugin.kit.conmon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** conmon's sync message and the runtime's JSON log, as the launcher reads them. */
final class ConmonRepliesTest {
    @TempDir
    Path stateDir;

    private ContainerFiles files;
    private ConmonLauncher launcher;

    @BeforeEach
    void setUp() throws IOException {
        files = new ContainerFiles(stateDir);
        files.createLayout();
        Files.createDirectories(files.dir("c1"));
        launcher = new ConmonLauncher(new OciCliConfig(Path.of("/usr/sbin/runc"), stateDir.resolve("root"),
                Path.of("/usr/bin/conmon")), files);
    }

    @Test
    void aPositiveDataIsTheContainersPid() {
        assertEquals(4242, launcher.parse("c1", "{\"data\": 4242}"));
        assertEquals(17, launcher.parse("c1", " {\"message\":\"\",\"data\":17,\"extra\":{\"a\":[1,2]}} "));
    }

    @Test
    void aFailureCarriesConmonsMessageOrElseTheRuntimeLog() throws IOException {
        BackendException e = assertThrows(BackendException.class,
                () -> launcher.parse("c1", "{\"data\": -1, \"message\": \"exec: \\\"nope\\\": not found\\n\"}"));
        assertTrue(e.getMessage().endsWith("runtime create failed: exec: \"nope\": not found"), e.getMessage());

        Files.writeString(files.runtimeLog("c1"), String.join("\n",
                "{\"level\":\"info\",\"msg\":\"starting\",\"time\":\"2026-01-01T00:00:00Z\"}",
                "{\"level\":\"error\",\"msg\":\"container_linux.go:380: starting container process caused: \\u00e9\"}",
                "{\"level\":\"warning\",\"msg\":\"later warning\"}", ""));
        e = assertThrows(BackendException.class, () -> launcher.parse("c1", "{\"data\": -1}"));
        assertTrue(e.getMessage().endsWith("runtime create failed: container_linux.go:380: starting container process caused: \u00e9"),
                e.getMessage());
    }

    @Test
    void aLogLineThatIsNotJsonIsTheErrorItself() throws IOException {
        Files.writeString(files.runtimeLog("c1"), "{\"level\":\"error\",\"msg\":\"old\"}\nadapter: lxc-start failed\n");
        assertEquals(Optional.of("adapter: lxc-start failed"), launcher.runtimeError("c1"));
        Files.delete(files.runtimeLog("c1"));
        assertEquals(Optional.empty(), launcher.runtimeError("c1"));
    }

    @Test
    void anUnreadableSyncMessageIsNamed() {
        for (String line : new String[] {"", "42", "{\"data\":", "[1]"}) {
            BackendException e = assertThrows(BackendException.class, () -> launcher.parse("c1", line));
            assertTrue(e.getMessage().contains("unreadable sync message"), line + ": " + e.getMessage());
        }
    }
}
