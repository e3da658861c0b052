package io.crisp.core.cli;

import io.crisp.core.config.ConfigPrinter;
import io.crisp.core.config.CrispConfig;
import io.crisp.core.daemon.LogLevels;
import io.crisp.core.plugin.LoadedPlugin;
import io.crisp.core.plugin.PluginCatalog;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code crisp config}: prints the effective configuration as TOML (files, drop-ins and flags
 * applied), or the defaults with {@code --default}; handler tables show their plugin's defaults
 * as comments when the plugin can be loaded.
 */
@Command(name = "config", versionProvider = Main.Version.class, mixinStandardHelpOptions = true, description = "Print the effective configuration as TOML, or the defaults with --default.")
final class ConfigCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--default", description = "Print the built-in defaults, ignoring files and flags.")
    boolean defaults;

    @Override
    public Integer call() {
        CrispConfig config = defaults ? ConfigFlags.defaults() : ConfigFlags.loadOrReport(spec);
        if (config == null) {
            return Main.EXIT_CONFIG;
        }
        Map<String, Map<String, Object>> pluginDefaults = new LinkedHashMap<>();
        Map<String, Set<String>> sensitive = new LinkedHashMap<>();
        LogLevels.apply("error");
        try (PluginCatalog catalog = new PluginCatalog()) {
            catalog.scan(config.pluginsDir());
            for (LoadedPlugin p : catalog.plugins().values()) {
                pluginDefaults.put(p.id(), p.extension().defaultOptions());
                sensitive.put(p.id(), p.extension().sensitiveKeys());
            }
        }
        System.out.print(ConfigPrinter.print(config, pluginDefaults, sensitive));
        return 0;
    }
}
