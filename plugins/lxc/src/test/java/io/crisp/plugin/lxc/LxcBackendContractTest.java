package io.crisp.plugin.lxc;

import io.crisp.plugin.kit.conmon.ConmonHooks;
import io.crisp.spi.Capability;
import io.crisp.spi.RuntimePlugin;
import io.crisp.spi.testing.BaseBackendContractTest;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The backend contract suite against real LXC (lxc-execute, lxc-attach) supervised by conmon. Needs root. */
final class LxcBackendContractTest extends BaseBackendContractTest {
    @Override
    protected RuntimePlugin plugin() {
        return new LxcPlugin();
    }

    /** An LXC path of the test's own, so nothing else's containers are seen. */
    @Override
    protected Map<String, Object> options(Path dir) {
        return Map.of("monitor_path", "/usr/bin/conmon", "lxc_path", dir.resolve("lxc").toString());
    }

    @Override
    protected Set<Capability> supportedCapabilities() {
        return ConmonHooks.DEFAULT_CAPABILITIES;
    }

    @Override
    protected List<Path> prerequisites() {
        return LxcTestSupport.BINARIES;
    }
}
