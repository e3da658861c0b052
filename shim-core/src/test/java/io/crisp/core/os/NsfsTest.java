package io.crisp.core.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class NsfsTest {
    @TempDir
    Path dir;

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
    }

    @Test
    void onlyANamespaceMountedAtThePathCounts() throws Exception {
        assertTrue(Nsfs.known(), "this Linux has /proc");
        Path pin = Files.createFile(dir.resolve("pin"));
        assertFalse(Nsfs.holdsNamespace(pin), "a plain file");
        assertFalse(Nsfs.holdsNamespace(dir.resolve("missing")));
        Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of("/proc/self/ns/net"));
        assertFalse(Nsfs.holdsNamespace(link), "a symlink to a namespace is no pin");

        run("mount", "--bind", "/proc/self/ns/net", pin.toString());
        try {
            assertTrue(Nsfs.holdsNamespace(pin));
        } finally {
            run("umount", pin.toString());
        }
        assertFalse(Nsfs.holdsNamespace(pin), "unmounted again");
    }
}
