package io.crisp.plugin.lxc;

import io.crisp.plugin.kit.conmon.ConmonBackend;
import io.crisp.plugin.kit.conmon.OciCliConfig;
import io.crisp.spi.BackendException;
import io.crisp.plugin.kit.CgroupfsOnly;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.HandlerConfig;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.RuntimePlugin;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.pf4j.Extension;

/**
 * pf4j glue for the lxc plugin: the kit's conmon backend with the plugin's adapter (crisp-lxc-oci,
 * installed into the handler's state directory) as its OCI-CLI program and {@link LxcHooks}.
 */
@Extension
public final class LxcPlugin implements RuntimePlugin {
    @Override
    public RuntimeBackend create(HandlerConfig config, RuntimeContext context) {
        // The adapter writes lxc.cgroup.dir from the cgroupfs path; it has no systemd scope support.
        CgroupfsOnly.require(context, "lxc", "the LXC adapter places containers by cgroupfs paths and cannot create systemd scopes");
        return backend(LxcConfig.parse(config), config.stateDir(), context);
    }

    static ConmonBackend backend(LxcConfig config, Path stateDir, RuntimeContext context) {
        Path adapter;
        try {
            adapter = LxcAdapter.install(stateDir.resolve("bin"), config.lxcBinDir());
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "handler " + context.handlerName() + ": cannot install the LXC adapter"
                    + " under " + stateDir + ": " + e.getMessage(), e);
        }
        LxcHost host = LxcHost.system();
        return new ConmonBackend(new OciCliConfig(adapter, config.lxcPath(), config.monitorPath()), stateDir, context,
                new LxcHooks(config, stateDir, adapter, host));
    }

    @Override
    public Map<String, Object> defaultOptions() {
        // lxc_path has no fixed default: lxc in the handler's state directory.
        Map<String, Object> options = new LinkedHashMap<>(LxcConfig.defaults(Path.of("/")).toOptions());
        options.remove("lxc_path");
        return options;
    }
}
