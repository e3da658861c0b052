package io.crisp.plugin.runc;

import io.crisp.spi.Capability;
import io.crisp.spi.RuntimePlugin;
import io.crisp.spi.testing.BaseBackendContractTest;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The backend contract suite against the real runc, supervised by conmon. Needs root. */
final class RuncBackendContractTest extends BaseBackendContractTest {
    @Override
    protected RuntimePlugin plugin() {
        return new RuncPlugin();
    }

    /** A runc root of the test's own, so nothing else's containers are seen. */
    @Override
    protected Map<String, Object> options(Path dir) {
        return Map.of("runtime_path", TestBundles.RUNC.toString(), "monitor_path", TestBundles.CONMON.toString(),
                "runtime_root", dir.resolve("runc-root").toString());
    }

    @Override
    protected Set<Capability> supportedCapabilities() {
        Set<Capability> caps = EnumSet.of(Capability.POD_LIFECYCLE, Capability.EXEC_SYNC, Capability.EXEC, Capability.ATTACH,
                Capability.UPDATE_RESOURCES, Capability.REOPEN_LOG, Capability.STATS,
                // runc checkpoints and restores with CRIU (criu_path); CheckpointIT drives it with a real CRIU.
                Capability.CHECKPOINT_RESTORE,
                // runc joins namespace files the core pinned (RuncPodWithoutInfraTest, PodWithoutInfraIT).
                Capability.PODS_WITHOUT_INFRA,
                // its infra process joins the pod's network namespace by path (NetworkBesideTest, CrashPointsIT).
                Capability.LATE_POD_NETWORK);
        // And what runc's own features document and the kernel prove (RuntimeFeaturesTest covers the reading).
        caps.addAll(io.crisp.plugin.kit.conmon.RuntimeFeatures.probe(TestBundles.RUNC).capabilities());
        return caps;
    }

    @Override
    protected List<Path> prerequisites() {
        return List.of(TestBundles.RUNC, TestBundles.CONMON);
    }
}
