package io.crisp.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.admin.v1.Transfer;
import io.crisp.admin.v1.TransferLayer;
import java.util.List;
import org.junit.jupiter.api.Test;

final class ProgressViewTest {
    private static TransferLayer layer(char hex, long done, long total, String state) {
        return TransferLayer.newBuilder().setDigest("sha256:" + String.valueOf(hex).repeat(64)).setBytesDone(done).setBytesTotal(total)
                .setState(state).build();
    }

    @Test
    void aTerminalBlockHasEachLayerAndTheTotalWithRateAndElapsedTime() {
        Transfer t = Transfer.newBuilder().setKind("pull").setName("registry.example/app:1").setBytesDone(3L << 20).setBytesTotal(6L << 20)
                .setLayersDone(1).setLayersTotal(3).setStartedUnixMillis(1_000)
                .addLayers(layer('a', 2L << 20, 2L << 20, "done"))
                .addLayers(layer('b', 1L << 20, 3L << 20, "downloading"))
                .addLayers(layer('c', 1L << 20, 1L << 20, "present")).build();
        assertEquals(List.of(
                "pull registry.example/app:1",
                "  aaaaaaaaaaaa  done            2.0 MiB / 2.0 MiB",
                "  bbbbbbbbbbbb  downloading     1.0 MiB / 3.0 MiB",
                "  cccccccccccc  already present 1.0 MiB / 1.0 MiB",
                "  total [==========>         ] 3.0 MiB / 6.0 MiB, 1/3 layers, 1.0 MiB/s, 3 s"), ProgressView.block(t, 4_000, 120));
    }

    @Test
    void linesAreCutToTheTerminalWidthSoTheyNeverWrap() {
        Transfer t = Transfer.newBuilder().setKind("pull").setName("registry.example/" + "x".repeat(80) + ":1").setBytesTotal(-1)
                .setLayersTotal(-1).setStartedUnixMillis(1_000).build();
        List<String> block = ProgressView.block(t, 2_000, 40);
        assertEquals(3, block.size());
        block.forEach(line -> assertTrue(line.length() <= 39, line));
        assertEquals("  resolving the manifest", block.get(1), "no layers before the manifest");
        assertEquals("  total 0 B, 0 B/s, 1 s", block.get(2));
    }

    @Test
    void manyLayersShowOnlyTheMovingOnesAndCountTheRest() {
        Transfer.Builder t = Transfer.newBuilder().setKind("pull").setName("r.example/big:1").setBytesTotal(100).setLayersTotal(14)
                .setStartedUnixMillis(0);
        for (int i = 0; i < 14; i++) {
            t.addLayers(layer("0123456789abcdef".charAt(i), 1, 10, i < 5 ? "done" : i < 7 ? "present" : i < 9 ? "downloading" : "waiting"));
        }
        List<String> block = ProgressView.block(t.build(), 1_000, 120);
        assertEquals(5, block.size(), String.join("\n", block));
        assertTrue(block.get(1).startsWith("  777777777777  downloading"), block.get(1));
        assertTrue(block.get(2).startsWith("  888888888888  downloading"), block.get(2));
        assertEquals("  14 layers: 5 done, 2 already present, 5 waiting", block.get(3));
    }

    @Test
    void aLogGetsALinePerFinishedLayer() {
        Transfer t = Transfer.newBuilder().setKind("pull").setName("registry.example/app:1").build();
        assertEquals("pull registry.example/app:1: layer aaaaaaaaaaaa done, 2.0 MiB", ProgressView.layerFinished(t, layer('a', 2L << 20, 2L << 20, "done")));
        assertEquals("pull registry.example/app:1: layer bbbbbbbbbbbb already present, 1.0 KiB",
                ProgressView.layerFinished(t, layer('b', 1024, 1024, "present")));
        assertTrue(ProgressView.finished(layer('c', 1, 1, "present")));
        assertTrue(!ProgressView.finished(layer('c', 1, 1, "unpacking")));
    }
}
