package io.crisp.core.plugin;

import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.SpiVersion;

/** The host services one handler's backend receives. */
record DaemonRuntimeContext(String handlerName, ContainerEventSink events) implements RuntimeContext {
    @Override
    public String spiVersion() {
        return SpiVersion.CURRENT;
    }
}
