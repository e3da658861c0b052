package io.crisp.plugin.kata.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.crisp.plugin.kit.log.CriLineSplitter;
import io.crisp.plugin.kit.log.CriLog;
import io.crisp.plugin.kit.log.CriLogWriter;
import io.crisp.plugin.kit.log.StreamName;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kit's CRI log writer fed from this plugin's FIFO reader, as ContainerStdio does. */
final class CriLogFromFifoTest {
    @TempDir
    Path dir;

    @Test
    void recordsFromAProcessWritingIntoAFifo() throws Exception {
        Path fifo = dir.resolve("stdout");
        Path path = dir.resolve("c.log");
        Fifos.make(fifo);
        try (CriLogWriter log = new CriLogWriter(path); FifoReader in = FifoReader.awaitWriter(fifo)) {
            Process p = Sh.start("printf 'a\\nbb' > \"$1\"", fifo);
            CriLineSplitter out = new CriLineSplitter(log, StreamName.STDOUT);
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
            out.finish();
            assertEquals(0, Sh.await(p));
        }
        assertEquals(List.of("stdout F a", "stdout P bb"), CriLog.read(path).lines());
    }
}
