package io.crisp.plugin.faulty;

import io.crisp.plugin.kit.conmon.ConmonBackend;
import io.crisp.plugin.kit.conmon.ConmonHooks;
import io.crisp.plugin.kit.conmon.OciCliConfig;
import io.crisp.spi.HandlerConfig;
import io.crisp.spi.HandlerOptions;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.RuntimePlugin;
import java.nio.file.Path;
import org.pf4j.Extension;

/**
 * A test plugin, never shipped: runc through the kit's conmon backend, with faults switched at run
 * time by a control file ({@code control_file}, see {@link Fault}), so a test can make a real
 * handler hang, throw, sleep past its deadlines, answer null or allocate, beside healthy ones. Its
 * runc state lives in the handler's own state directory.
 */
@Extension
public final class FaultyPlugin implements RuntimePlugin {
    @Override
    public RuntimeBackend create(HandlerConfig config, RuntimeContext context) {
        HandlerOptions options = config.reader();
        Path control = options.path("control_file", null);
        Path runtime = options.path("runtime_path", Path.of("/usr/sbin/runc"));
        Path monitor = options.path("monitor_path", Path.of("/usr/bin/conmon"));
        options.finish();
        if (control == null) {
            throw new io.crisp.spi.BackendException(io.crisp.spi.BackendException.Kind.INVALID_ARGUMENT,
                    config.table() + ": key 'control_file' is required (the file that switches this test plugin's faults)");
        }
        try {
            if (FaultyBackend.apply(control, "create")) {
                return null;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("faulty: interrupted in create", e);
        }
        ConmonBackend runc = new ConmonBackend(new OciCliConfig(runtime, config.stateDir().resolve("runc"), monitor), config.stateDir(),
                context, ConmonHooks.NONE);
        return FaultyBackend.wrap(runc, control);
    }
}
