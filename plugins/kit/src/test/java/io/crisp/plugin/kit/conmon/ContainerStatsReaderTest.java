package io.crisp.plugin.kit.conmon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.plugin.kit.cgroup.CgroupMounts;
import io.crisp.plugin.kit.cgroup.CgroupStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runc side of stats without runc: cgroups path from config.json, meta round trip, errors. */
final class ContainerStatsReaderTest {
    @TempDir
    Path dir;

    @Test
    void cgroupsPathSurvivesInMeta() {
        Optional<String> path = Optional.of("kubepods.slice:crisp:c1");
        Tracked t = new Tracked("c1", false, "n", dir, Path.of("/l"), Tracked.Stdio.NONE, path);
        assertEquals(path, Tracked.fromMeta("c1", t.toMeta()).cgroupsPath);
        Tracked none = new Tracked("c2", false, "n", dir, Path.of("/l"), Tracked.Stdio.NONE, Optional.empty());
        assertEquals(Optional.empty(), Tracked.fromMeta("c2", none.toMeta()).cgroupsPath);
    }

    @Test
    void readsTheFakeCgroupAndMapsAVanishedOneToNotRunning() throws IOException {
        Path cg = Files.createDirectories(dir.resolve("cg/crisp/c1"));
        Files.writeString(cg.resolve("memory.current"), "4096\n");
        AtomicBoolean exited = new AtomicBoolean();
        ContainerStatsReader reader = new ContainerStatsReader(() -> new CgroupStats(CgroupMounts.unified(dir.resolve("cg"))),
                t -> exited.get());
        Tracked t = new Tracked("c1", false, "n", dir, Path.of("/l"), Tracked.Stdio.NONE, Optional.of("/crisp/c1"));
        assertEquals(4096, reader.read(t).memory().usageBytes());
        assertTrue(t.cgroup != null, "location kept");

        Files.delete(cg.resolve("memory.current"));
        Files.delete(cg);
        BackendException e = assertThrows(BackendException.class, () -> reader.read(t));
        assertEquals(Kind.INTERNAL, e.kind());
        assertTrue(e.getMessage().contains(cg.toString()), e.getMessage());
        exited.set(true);
        assertEquals(Kind.FAILED_PRECONDITION, assertThrows(BackendException.class, () -> reader.read(t)).kind());

        Tracked none = new Tracked("c2", false, "n", dir, Path.of("/l"), Tracked.Stdio.NONE, Optional.empty());
        e = assertThrows(BackendException.class, () -> reader.read(none));
        assertEquals(Kind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().contains("cgroupsPath"), e.getMessage());
    }
}
