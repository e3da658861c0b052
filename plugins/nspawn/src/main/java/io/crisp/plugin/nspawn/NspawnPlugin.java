package io.crisp.plugin.nspawn;

import io.crisp.plugin.kit.conmon.ConmonBackend;
import io.crisp.plugin.kit.conmon.OciCliConfig;
import io.crisp.spi.BackendException;
import io.crisp.plugin.kit.CgroupfsOnly;
import io.crisp.spi.HandlerConfig;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.RuntimePlugin;
import java.util.Map;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * pf4j glue for the nspawn plugin: an rkt-style pod-level runtime. Each pod is one systemd-nspawn
 * machine, each container an app inside it, every one supervised by its own conmon through the
 * plugin's adapter (nspawn-oci) on the kit's conmon backend.
 */
@Extension
public final class NspawnPlugin implements RuntimePlugin {
    private static final Logger LOG = LoggerFactory.getLogger(NspawnPlugin.class);

    @Override
    public RuntimeBackend create(HandlerConfig config, RuntimeContext context) {
        // Pods run as cgroupfs subtrees the plugin manages itself (CgroupTree), not as systemd units.
        CgroupfsOnly.require(context, "nspawn", "the nspawn plugin builds each pod's cgroup tree itself under cgroupfs paths"
                + " and does not register machines with systemd");
        NspawnConfig options = NspawnConfig.parse(config);
        Installation installation = new Installation(config.stateDir());
        CgroupTree cgroups = CgroupTree.system();
        NspawnHealth health = new NspawnHealth(options, cgroups);
        try {
            installation.install(options);
        } catch (BackendException e) {
            // The handler still loads and reports why it is not ready.
            LOG.warn("handler {}: {}", context.handlerName(), e.getMessage());
            health.installFailed(e.getMessage());
        }
        return new ConmonBackend(new OciCliConfig(installation.adapter, installation.runtimeRoot, options.monitorPath()),
                config.stateDir(), context, new NspawnHooks(options, installation, cgroups, health));
    }

    @Override
    public Map<String, Object> defaultOptions() {
        return NspawnConfig.defaults().toOptions();
    }
}
