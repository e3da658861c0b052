package io.crisp.core.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class FileTreesTest {
    @TempDir
    Path tmp;

    @Test
    void usageCountsEachInodeOnceLikeDu() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("store"));
        Path bin = Files.createDirectories(root.resolve("layer/bin"));
        Files.write(bin.resolve("busybox"), new byte[1000]);
        for (String applet : new String[] {"sh", "ls", "cat", "echo"}) {
            Files.createLink(bin.resolve(applet), bin.resolve("busybox")); // as busybox images do
        }
        Files.write(root.resolve("layer/config"), new byte[24]);
        Files.createSymbolicLink(root.resolve("layer/escape"), Path.of("/usr")); // never followed
        FileTrees.Usage usage = FileTrees.usage(root);
        assertEquals(1024, usage.bytes(), "the hard-linked file counts once");
        // layer, layer/bin, busybox (5 names), config, the symlink; the root itself is not counted
        assertEquals(5, usage.inodes());
        assertEquals(new FileTrees.Usage(0, 0), FileTrees.usage(Files.createDirectories(tmp.resolve("empty"))));
    }

    @Test
    void deleteRemovesLinksNotTheirTargets() throws Exception {
        Path outside = Files.writeString(tmp.resolve("outside"), "keep");
        Path tree = Files.createDirectories(tmp.resolve("tree/a"));
        Files.createSymbolicLink(tree.resolve("link"), outside);
        FileTrees.delete(tmp.resolve("tree"));
        assertFalse(Files.exists(tmp.resolve("tree")));
        assertTrue(Files.exists(outside));
        FileTrees.delete(tmp.resolve("tree")); // absent: fine
    }
}
