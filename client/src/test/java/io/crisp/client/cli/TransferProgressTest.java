package io.crisp.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.admin.v1.Transfer;
import org.junit.jupiter.api.Test;

final class TransferProgressTest {
    @Test
    void aLineShowsBarBytesLayersAndTheAverageRate() {
        Transfer t = Transfer.newBuilder().setKind("pull").setName("docker.io/library/busybox:latest").setBytesDone(10L << 20)
                .setBytesTotal(40L << 20).setLayersDone(1).setLayersTotal(3).setStartedUnixMillis(1_000).build();
        assertEquals("pull docker.io/library/busybox:latest: [=====>              ] 10.0 MiB / 40.0 MiB, 1/3 layers, 2.5 MiB/s",
                ProgressView.line(t, 5_000));
    }

    @Test
    void beforeTheManifestOnlyTheBytesAreKnown() {
        Transfer t = Transfer.newBuilder().setKind("import").setName("/tmp/a.tar").setBytesDone(0).setBytesTotal(-1).setLayersTotal(-1)
                .setStartedUnixMillis(1_000).build();
        assertEquals("import /tmp/a.tar: 0 B, 0 B/s", ProgressView.line(t, 2_000));
    }

    @Test
    void aPullIsFoundUnderItsNormalizedName() {
        Transfer t = Transfer.newBuilder().setKind("pull").setName("docker.io/library/busybox:latest").build();
        assertTrue(TransferProgress.pullOf("busybox").test(t));
        assertTrue(TransferProgress.pullOf("library/busybox:latest").test(t));
        assertTrue(TransferProgress.pullOf("docker.io/library/busybox:latest").test(t));
        assertFalse(TransferProgress.pullOf("alpine").test(t));
        assertFalse(TransferProgress.importOf("busybox").test(t));
    }
}
