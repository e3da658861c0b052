package io.crisp.core.config;

import java.util.Map;
import java.util.Set;

/**
 * Prints a configuration as TOML that {@link ConfigLoader} reads back to the same values, with each
 * key's description as a comment: what {@code crisp config} shows and what the packaged
 * {@code crisp.toml} is made from.
 */
public final class ConfigPrinter {
    private ConfigPrinter() {}

    /**
     * @param pluginDefaults per plugin id, options to show for handler tables that do not set them
     * @param sensitive per plugin id, option keys whose values are masked
     */
    public static String print(CrispConfig config, Map<String, Map<String, Object>> pluginDefaults, Map<String, Set<String>> sensitive) {
        StringBuilder out = new StringBuilder();
        out.append("# crisp configuration. Drop-ins in crisp.toml.d/*.toml override it key by key, in lexical order.\n");
        for (String table : ConfigKey.tables()) {
            out.append('\n');
            if (!table.isEmpty()) {
                out.append('[').append(table).append("]\n");
            }
            for (ConfigKey key : ConfigKey.values()) {
                if (!key.table().equals(table)) {
                    continue;
                }
                out.append("# ").append(key.description());
                out.append(key.reloadable() ? " Reloaded on SIGHUP." : " Applied at start.");
                out.append(" Flag: ").append(key.flag()).append('\n');
                out.append(key.key()).append(" = ").append(key.type().toToml(config.get(key))).append('\n');
            }
        }
        for (RuntimeTable runtime : config.runtimes().values()) {
            out.append("\n# Handler '").append(runtime.name()).append("': pods with RuntimeClass handler '")
                    .append(runtime.name()).append("' run on plugin '").append(runtime.plugin()).append("'.\n");
            out.append("[runtimes.").append(runtime.name()).append("]\n");
            out.append("plugin = ").append(TomlText.quote(runtime.plugin())).append('\n');
            Set<String> masked = sensitive.getOrDefault(runtime.plugin(), Set.of());
            for (Map.Entry<String, Object> option : runtime.options().entrySet()) {
                Object value = masked.contains(option.getKey()) ? "<redacted>" : option.getValue();
                out.append(TomlText.key(option.getKey())).append(" = ").append(TomlText.value(value)).append('\n');
            }
            for (Map.Entry<String, Object> option : pluginDefaults.getOrDefault(runtime.plugin(), Map.of()).entrySet()) {
                if (!runtime.options().containsKey(option.getKey())) {
                    out.append("# ").append(TomlText.key(option.getKey())).append(" = ").append(TomlText.value(option.getValue()))
                            .append("   (plugin default)\n");
                }
            }
        }
        return out.toString();
    }
}
