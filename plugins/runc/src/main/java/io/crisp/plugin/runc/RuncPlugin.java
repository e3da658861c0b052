package io.crisp.plugin.runc;

import io.crisp.plugin.kit.conmon.ConmonBackend;
import io.crisp.plugin.kit.conmon.ConmonHooks;
import io.crisp.spi.Capability;
import io.crisp.spi.HandlerConfig;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.RuntimePlugin;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.pf4j.Extension;

/**
 * pf4j glue for the runc plugin: parses the handler's options and creates its backend, the kit's
 * {@link ConmonBackend} driving runc (or crun, runsc) directly, with its create deferred to the start;
 * its hooks also allow pods without an infra process.
 */
@Extension
public final class RuncPlugin implements RuntimePlugin {
    @Override
    public RuntimeBackend create(HandlerConfig config, RuntimeContext context) {
        return backend(RuncConfig.parse(config), config.stateDir(), context);
    }

    /**
     * runc needs little beyond the base: no files of its own in the bundle, cgroup stats, every
     * capability. Its create runs at StartContainer, as containerd's does: CreateContainer only
     * records the container. It joins namespace files named in a spec, so it runs pods without an
     * infra process, and its infra process needs no more of the pod's network than the namespace's
     * path, so the core may wire the network while it starts.
     */
    static final ConmonHooks HOOKS = new ConmonHooks() {
        @Override
        public Set<Capability> capabilities() {
            Set<Capability> caps = EnumSet.copyOf(DEFAULT_CAPABILITIES);
            caps.add(Capability.LATE_POD_NETWORK);
            return caps;
        }

        @Override
        public boolean deferCreateToStart() {
            return true;
        }

        @Override
        public boolean podsWithoutInfra() {
            return true;
        }
    };

    static ConmonBackend backend(RuncConfig config, Path stateDir, RuntimeContext context) {
        return new ConmonBackend(config.toCli(), stateDir, context, HOOKS);
    }

    @Override
    public Map<String, Object> defaultOptions() {
        // runtime_root has no fixed default: <state>/runc, from the daemon's state directory.
        Map<String, Object> options = new java.util.LinkedHashMap<>(RuncConfig.defaults(Path.of("/")).toOptions());
        options.remove("runtime_root");
        return options;
    }
}
