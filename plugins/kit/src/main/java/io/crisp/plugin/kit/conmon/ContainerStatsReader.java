package io.crisp.plugin.kit.conmon;

import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.plugin.kit.cgroup.CgroupStats;
import io.crisp.spi.model.ContainerStatsSample;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Stats of running containers from their cgroups ({@link CgroupStats}). Each container's cgroup
 * directories are located on its first sample and kept in its {@link Tracked}; the cgroups path
 * itself was taken from the bundle's {@code config.json} at create time, so sampling reads only a
 * few cgroup files.
 */
final class ContainerStatsReader {
    private final Supplier<CgroupStats> cgroups;
    private final Predicate<Tracked> exitedNow;
    private volatile CgroupStats reader;

    /** {@code exitedNow} records and answers whether the container has exited (the exit tracker). */
    ContainerStatsReader(Supplier<CgroupStats> cgroups, Predicate<Tracked> exitedNow) {
        this.cgroups = cgroups;
        this.exitedNow = exitedNow;
    }

    /** One sample of a running container or sandbox. */
    ContainerStatsSample read(Tracked t) {
        try {
            CgroupStats.Location location = t.cgroup;
            if (location == null) {
                location = locate(t);
            }
            return reader().read(t.id, location);
        } catch (NoSuchFileException e) {
            t.cgroup = null;
            if (exitedNow.test(t)) {
                throw BackendException.failedPrecondition("container %s has exited; it has no stats", t.id);
            }
            throw new BackendException(Kind.INTERNAL, "container " + t.id + ": its cgroup is missing: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "container " + t.id + ": cannot read its cgroup: " + e, e);
        }
    }

    private CgroupStats.Location locate(Tracked t) throws NoSuchFileException {
        String path = t.cgroupsPath.orElseThrow(() -> BackendException.failedPrecondition(
                "container %s: the core gave no linux.cgroupsPath for it; cannot find its cgroup", t.id));
        try {
            CgroupStats.Location location = reader().locate(path);
            t.cgroup = location;
            return location;
        } catch (IllegalArgumentException e) {
            throw BackendException.failedPrecondition("container %s: %s", t.id, e.getMessage());
        }
    }

    private CgroupStats reader() {
        CgroupStats r = reader;
        if (r == null) {
            try {
                r = cgroups.get();
            } catch (RuntimeException e) {
                throw new BackendException(Kind.UNAVAILABLE, "cannot find the cgroup mounts: " + e.getMessage(), e);
            }
            reader = r;
        }
        return r;
    }
}
