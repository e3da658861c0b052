package io.crisp.plugin.kata;

import io.crisp.spi.HandlerConfig;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.RuntimePlugin;
import java.util.Map;
import org.pf4j.Extension;

/** pf4j glue for the kata plugin: parses the handler's options and creates its backend. */
@Extension
public final class KataPlugin implements RuntimePlugin {
    @Override
    public RuntimeBackend create(HandlerConfig config, RuntimeContext context) {
        return new KataBackend(KataConfig.parse(config), config.stateDir(), context);
    }

    @Override
    public Map<String, Object> defaultOptions() {
        return KataConfig.defaults().toOptions();
    }
}
