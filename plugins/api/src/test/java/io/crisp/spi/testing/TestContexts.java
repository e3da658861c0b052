package io.crisp.spi.testing;

import io.crisp.spi.CgroupDriver;
import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.SpiVersion;

/** Runtime contexts for a plugin's own tests, as the daemon would hand them to {@code create}. */
public final class TestContexts {
    private TestContexts() {}

    /** Handler {@code handler} under cgroup driver {@code driver}; events are dropped. */
    public static RuntimeContext of(String handler, CgroupDriver driver) {
        return new RuntimeContext() {
            @Override
            public String spiVersion() {
                return SpiVersion.CURRENT;
            }

            @Override
            public String handlerName() {
                return handler;
            }

            @Override
            public ContainerEventSink events() {
                return ContainerEventSink.discarding();
            }

            @Override
            public CgroupDriver cgroupDriver() {
                return driver;
            }
        };
    }
}
