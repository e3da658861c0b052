package io.crisp.core.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.BackendException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class LogPathsTest {
    @TempDir
    Path dir;

    @Test
    void aRelativePathLandsInsideTheLogDirectory() {
        Optional<Path> file = LogPaths.resolve(dir.toString(), "web/0.log");
        assertEquals(Optional.of(dir.resolve("web/0.log")), file);
        assertTrue(Files.isDirectory(dir.resolve("web")), "the container's directory is created");
        assertEquals(Optional.empty(), LogPaths.resolve("", "web/0.log"));
        assertEquals(Optional.empty(), LogPaths.resolve(dir.toString(), ""));
    }

    @Test
    void escapesAreRefusedNamingTheField() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Files.createSymbolicLink(logs.resolve("link"), outside);
        Files.createSymbolicLink(logs.resolve("file.log"), outside.resolve("target.log"));
        for (String bad : new String[] {"../outside/x.log", "/etc/passwd", "a/../../outside/x.log", "link/x.log", "file.log", "."}) {
            BackendException e = assertThrows(BackendException.class, () -> LogPaths.resolve(logs.toString(), bad), bad);
            assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
            assertTrue(e.getMessage().startsWith("config.log_path"), e.getMessage());
        }
        assertEquals(false, Files.exists(outside.resolve("x.log")));
    }
}
