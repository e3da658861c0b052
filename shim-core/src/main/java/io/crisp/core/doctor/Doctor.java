package io.crisp.core.doctor;

import io.crisp.core.config.ConfigKey;
import io.crisp.core.config.CrispConfig;
import io.crisp.core.plugin.Handler;
import io.crisp.core.plugin.HandlerRegistry;
import io.crisp.core.plugin.HandlerTable;
import io.crisp.core.plugin.PluginCatalog;
import io.crisp.core.plugin.PluginProblem;
import io.crisp.core.state.FileTrees;
import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.NodeCheck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Runs {@code crisp doctor}'s checks without a daemon: loads the plugins from the configured
 * directory and creates every configured handler as the daemon would, then asks each for its
 * {@link Handler#checks() node checks}, the list the daemon's Status reports readiness from. The
 * handlers are created with a scratch root and state directory, so a daemon running on the same
 * directories never sees a second instance of its backends; the node checks read only the host
 * and the handler's options.
 */
public final class Doctor {
    private Doctor() {}

    /**
     * @throws io.crisp.core.config.ConfigException when a handler cannot be created (unknown plugin, bad option)
     */
    public static DoctorReport examine(CrispConfig config, String source) throws IOException {
        List<NodeCheck> node = new ArrayList<>(HostChecks.system().run(config));
        Path scratch = Files.createTempDirectory("crisp-doctor");
        try (PluginCatalog catalog = new PluginCatalog(); HandlerRegistry registry = new HandlerRegistry(ContainerEventSink.discarding())) {
            catalog.scan(config.pluginsDir());
            for (PluginProblem p : catalog.problems()) {
                node.add(NodeCheck.warn("plugin " + p.jar().getFileName(), "not loaded: " + p.message(),
                        "remove the JAR from " + config.pluginsDir() + " or install a build that matches this crisp"));
            }
            HandlerTable table = registry.apply(withScratchDirs(config, scratch), catalog);
            List<DoctorReport.HandlerChecks> handlers = new ArrayList<>();
            for (Handler h : table.handlers().values()) {
                List<NodeCheck> checks = h.checks().stream().map(c -> inRealDirs(c, scratch, config)).toList();
                handlers.add(new DoctorReport.HandlerChecks(h.name(), h.plugin().id(), h.plugin().version(),
                        h.name().equals(table.defaultHandler()), checks));
            }
            return new DoctorReport(source, node, handlers);
        } finally {
            FileTrees.delete(scratch);
        }
    }

    /** A check that names a file under the scratch directories names it where the daemon keeps it. */
    private static NodeCheck inRealDirs(NodeCheck c, Path scratch, CrispConfig config) {
        String detail = c.detail().replace(scratch.resolve("state").toString(), config.state().toString())
                .replace(scratch.resolve("root").toString(), config.root().toString());
        return new NodeCheck(c.name(), c.status(), detail, c.reason(), c.fix());
    }

    private static CrispConfig withScratchDirs(CrispConfig config, Path scratch) {
        Map<ConfigKey, Object> values = new EnumMap<>(config.values());
        values.put(ConfigKey.ROOT, scratch.resolve("root"));
        values.put(ConfigKey.STATE, scratch.resolve("state"));
        return new CrispConfig(values, config.runtimes(), config.sources());
    }
}
