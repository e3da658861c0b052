package io.crisp.plugin.kit.conmon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parts of exec and attach that need no container. */
final class StdioPlumbingTest {
    @TempDir
    Path stateDir;

    private List<String> conmonCommand(Tracked.Stdio stdio) {
        ConmonLauncher launcher = new ConmonLauncher(new OciCliConfig(Path.of("/usr/sbin/runc"), stateDir.resolve("root"), Path.of("/usr/bin/conmon")),
                new ContainerFiles(stateDir));
        return launcher.command("c1", "name", Path.of("/b"), Path.of("/l"), stdio);
    }

    @Test
    void conmonGetsTerminalAndStdinFlagsFromTheContainerSpec() {
        List<String> none = conmonCommand(Tracked.Stdio.NONE);
        assertFalse(none.contains("--terminal") || none.contains("--stdin") || none.contains("--leave-stdin-open"), none.toString());
        List<String> tty = conmonCommand(new Tracked.Stdio(true, false, true));
        assertTrue(tty.containsAll(List.of("--terminal", "--stdin", "--leave-stdin-open")), tty.toString());
        List<String> once = conmonCommand(new Tracked.Stdio(true, true, false));
        assertTrue(once.contains("--stdin") && !once.contains("--leave-stdin-open") && !once.contains("--terminal"), once.toString());
    }

    @Test
    void stdioWiringSurvivesTheMetaFile() {
        Tracked t = new Tracked("c1", false, "n", Path.of("/b"), Path.of("/l"), new Tracked.Stdio(true, true, true));
        assertEquals(t.stdio, Tracked.fromMeta("c1", t.toMeta()).stdio);
        var old = t.toMeta();
        old.remove("stdin");
        old.remove("stdinOnce");
        old.remove("tty");
        assertEquals(Tracked.Stdio.NONE, Tracked.fromMeta("c1", old).stdio);
    }

    @Test
    void boundedPipeBlocksTheWriterWhenFullAndEndsAfterCloseWrite() throws Exception {
        BoundedPipe pipe = new BoundedPipe(4);
        byte[] data = "abcdefghij".getBytes(StandardCharsets.US_ASCII);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                pipe.put(data, 0, data.length);
                pipe.closeWrite();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(100);
        assertFalse(writer.isDone(), "writer waits for room");
        assertEquals(4, pipe.available());
        assertArrayEquals(data, pipe.readAllBytes());
        writer.get(5, TimeUnit.SECONDS);
        assertEquals(-1, pipe.read());
    }

    @Test
    void boundedPipeDropsWritesOnceTheReaderClosed() throws Exception {
        BoundedPipe pipe = new BoundedPipe(2);
        pipe.close();
        pipe.put(new byte[100], 0, 100);
        assertEquals(-1, pipe.read());
    }
}
