package io.crisp.core.stream.spdy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

final class SpdyResizeDecoderTest {
    @Test
    void objectsSplitAnywhereAcrossFrames() throws IOException {
        String stream = "{\"Width\":80,\"Height\":24}\n{\"Height\":43, \"Width\":132, \"Other\":{\"Width\":1}}\n";
        for (int cut = 0; cut <= stream.length(); cut++) {
            ResizeDecoder decoder = new ResizeDecoder();
            List<ResizeDecoder.Size> sizes = new ArrayList<>();
            sizes.addAll(decoder.feed(stream.substring(0, cut).getBytes(StandardCharsets.UTF_8)));
            sizes.addAll(decoder.feed(stream.substring(cut).getBytes(StandardCharsets.UTF_8)));
            assertEquals(List.of(new ResizeDecoder.Size(80, 24), new ResizeDecoder.Size(132, 43)), sizes, "cut at " + cut);
        }
    }

    @Test
    void somethingElseIsAnError() {
        assertThrows(IOException.class, () -> new ResizeDecoder().feed("[1,2]".getBytes(StandardCharsets.UTF_8)));
    }
}
