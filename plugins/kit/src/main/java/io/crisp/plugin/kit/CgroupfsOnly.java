package io.crisp.plugin.kit;

import io.crisp.spi.BackendException;
import io.crisp.spi.CgroupDriver;
import io.crisp.spi.RuntimeContext;

/** For plugins that place their pods by cgroupfs paths only: the systemd driver is refused at create. */
public final class CgroupfsOnly {
    private CgroupfsOnly() {}

    /**
     * Refuses the handler, before anything is installed for it, when the daemon's driver is systemd.
     *
     * @param why what in the plugin ties it to cgroupfs paths, for the message
     * @throws BackendException INVALID_ARGUMENT naming the handler, the plugin and {@code why}
     */
    public static void require(RuntimeContext context, String plugin, String why) {
        if (context.cgroupDriver() == CgroupDriver.SYSTEMD) {
            throw BackendException.invalidArgument("handler %s (plugin %s): cgroup_driver = \"systemd\" is not supported: %s; use"
                    + " cgroup_driver = \"cgroupfs\" or remove this handler", context.handlerName(), plugin, why);
        }
    }
}
