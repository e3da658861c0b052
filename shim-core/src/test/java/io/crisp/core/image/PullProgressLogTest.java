package io.crisp.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.image.registry.Descriptor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

final class PullProgressLogTest {
    private static final String LAYER_A = "sha256:" + "a".repeat(64);
    private static final String LAYER_B = "sha256:" + "b".repeat(64);

    @Test
    void aLineSaysBytesOfTheTotalRateAndLayers() {
        Transfers.Transfer t = new Transfers().begin("pull", "registry.example/app:1", new AtomicLong(30L << 20));
        t.expect(120L << 20, 4);
        t.layerDone();
        long now = t.startedMillis() + 12_000;
        assertEquals("Pulling registry.example/app:1 for 12 s: 30.0 of 120.0 MiB (25%), 2.5 MiB/s, 1/4 layers", PullProgressLog.line(t, now));
    }

    @Test
    void beforeTheManifestOnlyTheBytesSoFar() {
        Transfers.Transfer t = new Transfers().begin("pull", "registry.example/app:1", new AtomicLong());
        assertEquals("Pulling registry.example/app:1 for 3 s: 0.0 MiB, waiting for the manifest, 0.0 MiB/s",
                PullProgressLog.line(t, t.startedMillis() + 3_000));
    }

    @Test
    void aRunningPullIsLoggedEachIntervalAndAnEndedOneNoMore() throws Exception {
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        PullProgressLog progress = new PullProgressLog(lines::add);
        progress.every(() -> Duration.ofMillis(100));
        Transfers.Transfer t = new Transfers().begin("pull", "registry.example/app:1", new AtomicLong());
        Runnable end = progress.watch(t);
        String first = lines.poll(30, TimeUnit.SECONDS);
        assertTrue(first != null && first.startsWith("Pulling registry.example/app:1 for "), String.valueOf(first));
        assertTrue(lines.poll(30, TimeUnit.SECONDS) != null, "a second line an interval later");
        assertEquals(1, progress.watching());
        end.run();
        assertEquals(0, progress.watching(), "an ended pull has no task left");
        Thread.sleep(300); // a line being written as the pull ended may still arrive
        lines.clear();
        assertEquals(null, lines.poll(500, TimeUnit.MILLISECONDS), "nothing is logged after the pull ended");
    }

    @Test
    void aShortPullIsNeverLogged() {
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        PullProgressLog progress = new PullProgressLog(lines::add);
        progress.every(() -> Duration.ofHours(1));
        Runnable end = progress.watch(new Transfers().begin("pull", "registry.example/app:1", new AtomicLong()));
        end.run();
        assertEquals(0, progress.watching());
        assertTrue(lines.isEmpty());
    }

    @Test
    void layersCountTheirOwnBytesAndAStoredOneIsWhole() {
        Transfers.Transfer t = new Transfers().begin("pull", "registry.example/app:1", new AtomicLong());
        t.layers(List.of(new Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", LAYER_A, 1000),
                new Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", LAYER_B, 500)));
        assertEquals(Transfers.Layer.State.WAITING, t.layers().get(0).state());
        t.layer(0).state(Transfers.Layer.State.DOWNLOADING);
        t.layer(0).counter().addAndGet(300);
        t.layer(1).state(Transfers.Layer.State.PRESENT);
        assertEquals(300, t.layers().get(0).bytesDone());
        assertEquals(1000, t.layers().get(0).bytesTotal());
        assertEquals(500, t.layers().get(1).bytesDone());
        assertEquals("present", t.layers().get(1).state().text());
    }
}
