package io.crisp.plugin.runc;

import io.crisp.spi.HandlerConfig;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.RuntimePlugin;
import java.util.Map;
import org.pf4j.Extension;

/** pf4j glue for the runc plugin: parses the handler's options and creates its backend. */
@Extension
public final class RuncPlugin implements RuntimePlugin {
    @Override
    public RuntimeBackend create(HandlerConfig config, RuntimeContext context) {
        return new RuncBackend(RuncConfig.parse(config), config.stateDir(), context);
    }

    @Override
    public Map<String, Object> defaultOptions() {
        return RuncConfig.defaults().toOptions();
    }
}
