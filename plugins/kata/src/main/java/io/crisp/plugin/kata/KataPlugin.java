package io.crisp.plugin.kata;

import io.crisp.spi.HandlerConfig;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.RuntimePlugin;
import java.util.LinkedHashMap;
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
        Map<String, Object> defaults = new LinkedHashMap<>(KataConfig.defaults().toOptions());
        // A generic key the core reads; the kata plugin's default keeps a pod away from Kata settings it does not list.
        defaults.put("pod_annotations", KataConfig.DEFAULT_POD_ANNOTATIONS);
        return defaults;
    }
}
