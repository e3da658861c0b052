package io.crisp.plugin.example;

import io.crisp.spi.HandlerConfig;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.RuntimePlugin;
import java.util.Map;
import org.pf4j.Extension;

/**
 * The smallest complete plugin: one {@code @Extension} that parses its handler table and returns a
 * backend. Copy this folder to start a new backend. It runs no pods: every lifecycle call answers
 * UNIMPLEMENTED through the SPI defaults. The build uses its JAR to test loading and live reload.
 */
@Extension
public final class ExamplePlugin implements RuntimePlugin {
    @Override
    public RuntimeBackend create(HandlerConfig config, RuntimeContext context) {
        return new ExampleBackend(ExampleConfig.parse(config), context.handlerName());
    }

    @Override
    public Map<String, Object> defaultOptions() {
        return Map.of("description", ExampleConfig.DEFAULT_DESCRIPTION);
    }
}
