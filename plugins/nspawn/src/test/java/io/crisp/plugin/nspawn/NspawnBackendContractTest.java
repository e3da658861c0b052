package io.crisp.plugin.nspawn;

import io.crisp.spi.Capability;
import io.crisp.spi.RuntimePlugin;
import io.crisp.spi.testing.BaseBackendContractTest;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The backend contract suite against real pod machines: systemd-nspawn per pod, apps inside it,
 * each under conmon through nspawn-oci. Needs root.
 */
final class NspawnBackendContractTest extends BaseBackendContractTest {
    @Override
    protected RuntimePlugin plugin() {
        return new NspawnPlugin();
    }

    @Override
    protected Set<Capability> supportedCapabilities() {
        return EnumSet.of(Capability.POD_LIFECYCLE, Capability.EXEC_SYNC, Capability.EXEC, Capability.ATTACH,
                Capability.UPDATE_RESOURCES, Capability.REOPEN_LOG, Capability.STATS, Capability.POD_LEVEL_RUNTIME);
    }

    @Override
    protected List<Path> prerequisites() {
        return NspawnTestHost.BINARIES;
    }
}
