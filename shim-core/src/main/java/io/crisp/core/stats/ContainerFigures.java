package io.crisp.core.stats;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.model.ContainerStatsSample;
import java.util.Optional;

/**
 * What the collector knows of one container (or of a pod's infra process): its last two backend
 * samples, from which the CPU rate comes, and its writable layer, measured less often.
 *
 * @param id the container (or sandbox) id
 * @param latest the newest sample, null before the first one succeeded
 * @param previous the sample before it, null until there are two
 * @param layer the writable layer as last measured, null before the first measurement
 */
public record ContainerFigures(String id, ContainerStatsSample latest, ContainerStatsSample previous, LayerFigures layer) {
    public static final long UNKNOWN = ContainerStatsSample.UNKNOWN;

    public ContainerFigures {
        requireNonNull(id, "id is null");
    }

    public static ContainerFigures empty(String id) {
        return new ContainerFigures(id, null, null, null);
    }

    /** With {@code next} as the newest sample and the newest so far as the one before. */
    public ContainerFigures withSample(ContainerStatsSample next) {
        return new ContainerFigures(id, next, latest, layer);
    }

    public ContainerFigures withLayer(LayerFigures next) {
        return new ContainerFigures(id, latest, previous, next);
    }

    public Optional<ContainerStatsSample> sample() {
        return Optional.ofNullable(latest);
    }

    public Optional<LayerFigures> writableLayer() {
        return Optional.ofNullable(layer);
    }

    /**
     * CPU cores in use, in billionths of a core, between the last two samples: CPU time used meanwhile
     * over wall time passed. {@link #UNKNOWN} with fewer than two samples, when either CPU figure is
     * unknown, when time did not advance, or when the counter went backwards (it cannot, unless the
     * backend's counter was reset).
     */
    public long nanoCores() {
        return nanoCores(previous, latest);
    }

    static long nanoCores(ContainerStatsSample before, ContainerStatsSample after) {
        if (before == null || after == null || before.cpuUsageCoreNanos() < 0 || after.cpuUsageCoreNanos() < 0) {
            return UNKNOWN;
        }
        long wall = after.timestampNanos() - before.timestampNanos();
        long cpu = after.cpuUsageCoreNanos() - before.cpuUsageCoreNanos();
        if (wall <= 0 || cpu < 0) {
            return UNKNOWN;
        }
        return Math.round((double) cpu / wall * 1e9);
    }

    /**
     * A writable layer's size.
     *
     * @param directory where it lives (reported as the filesystem's mountpoint)
     * @param timestampNanos when it was measured, nanoseconds since the epoch
     */
    public record LayerFigures(String directory, long timestampNanos, long usedBytes, long inodesUsed) {
        public LayerFigures {
            requireNonNull(directory, "directory is null");
        }
    }
}
