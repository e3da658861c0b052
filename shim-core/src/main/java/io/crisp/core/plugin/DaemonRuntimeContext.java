package io.crisp.core.plugin;

import io.crisp.spi.CgroupDriver;
import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.SpiVersion;

/** The host services one handler's backend receives, with the daemon's cgroup driver. */
record DaemonRuntimeContext(String handlerName, ContainerEventSink events, CgroupDriver cgroupDriver) implements RuntimeContext {
    DaemonRuntimeContext(String handlerName, ContainerEventSink events) {
        this(handlerName, events, CgroupDriver.CGROUPFS);
    }

    @Override
    public String spiVersion() {
        return SpiVersion.CURRENT;
    }

    /** {@code cgroup_driver} of the daemon's configuration as the SPI names it. */
    static CgroupDriver of(String configured) {
        return configured.equals("systemd") ? CgroupDriver.SYSTEMD : CgroupDriver.CGROUPFS;
    }
}
