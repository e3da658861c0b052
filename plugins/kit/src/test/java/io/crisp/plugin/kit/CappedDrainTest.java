package io.crisp.plugin.kit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

final class CappedDrainTest {
    @Test
    void keepsEverythingUnderTheCap() throws Exception {
        byte[] data = "hello\nworld\n".getBytes(StandardCharsets.UTF_8);
        byte[] kept = CappedDrain.start(new ByteArrayInputStream(data), 1024, "t").get(5, TimeUnit.SECONDS);
        assertArrayEquals(data, kept);
    }

    @Test
    void keepsTheFirstCapBytesAndReadsToTheEnd() throws Exception {
        byte[] data = new byte[200_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        ByteArrayInputStream in = new ByteArrayInputStream(data);
        byte[] kept = CappedDrain.start(in, 100_001, "t").get(5, TimeUnit.SECONDS);
        assertEquals(100_001, kept.length);
        assertEquals(data[100_000], kept[100_000]);
        assertEquals(0, in.available(), "read past the cap to the end");
    }

    @Test
    void aZeroCapDiscardsAll() throws Exception {
        byte[] kept = CappedDrain.start(new ByteArrayInputStream(new byte[70_000]), 0, "t").get(5, TimeUnit.SECONDS);
        assertEquals(0, kept.length);
    }

    @Test
    void aFailingStreamKeepsWhatWasReadAndIsClosed() throws Exception {
        AtomicBoolean closed = new AtomicBoolean();
        InputStream in = new InputStream() {
            private int calls;

            @Override
            public int read() throws IOException {
                throw new IOException("closed under the drain");
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (calls++ > 0) {
                    throw new IOException("closed under the drain");
                }
                b[off] = 'a';
                b[off + 1] = 'b';
                return 2;
            }

            @Override
            public void close() {
                closed.set(true);
            }
        };
        assertArrayEquals("ab".getBytes(StandardCharsets.UTF_8), CappedDrain.start(in, 10, "t").get(5, TimeUnit.SECONDS));
        assertTrue(closed.get());
    }
}
