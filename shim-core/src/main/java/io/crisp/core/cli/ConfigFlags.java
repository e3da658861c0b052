package io.crisp.core.cli;

import io.crisp.core.config.ConfigException;
import io.crisp.core.config.ConfigKey;
import io.crisp.core.config.ConfigLoader;
import io.crisp.core.config.CrispConfig;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The configuration flags every command that reads configuration shares: {@code --config},
 * {@code --config-dir} and one flag per {@link ConfigKey} ({@code --listen}, {@code --root}, ...),
 * added to picocli from the key list so no key lacks its flag.
 */
final class ConfigFlags {
    static final Path DEFAULT_CONFIG = Path.of("/etc/crisp/crisp.toml");

    private ConfigFlags() {}

    /** Every flag, shown in the help: {@code crisp serve}. */
    static void addTo(CommandSpec spec) {
        addTo(spec, false);
    }

    /**
     * Every flag; with {@code hideKeys} the per-key flags are accepted but left out of the help
     * (one line points at {@code crisp serve --help}), so a command's help fits on one screen.
     * A flag the command declares itself (a client command's {@code --listen}, {@code --config})
     * is left to it.
     */
    static void addTo(CommandSpec spec, boolean hideKeys) {
        add(spec, OptionSpec.builder("--config").paramLabel("FILE").type(Path.class)
                .description("Main configuration file (default " + DEFAULT_CONFIG + "; missing means defaults)."));
        add(spec, OptionSpec.builder("--config-dir").paramLabel("DIR").type(Path.class).hidden(hideKeys)
                .description("Drop-in directory, read in lexical order (default: <config>.d)."));
        for (ConfigKey key : ConfigKey.values()) {
            add(spec, OptionSpec.builder(key.flag()).paramLabel(key.key().toUpperCase(java.util.Locale.ROOT)).type(String.class)
                    .hidden(hideKeys).description("Overrides " + key.tableLabel() + " " + key.key() + ". " + key.description()));
        }
        if (hideKeys) {
            java.util.List<String> footer = new java.util.ArrayList<>(java.util.List.of(spec.usageMessage().footer()));
            footer.add("Also accepts the configuration flags of 'crisp serve --help'.");
            spec.usageMessage().footer(footer.toArray(String[]::new));
        }
    }

    private static void add(CommandSpec spec, OptionSpec.Builder option) {
        if (spec.findOption(option.names()[0]) == null) {
            spec.addOption(option.build());
        }
    }

    /** Loads files and applies the flags given to this command. */
    static CrispConfig load(CommandSpec spec) {
        Map<String, String> given = new java.util.HashMap<>();
        for (String name : java.util.List.of("--config", "--config-dir")) {
            Path value = spec.findOption(name).getValue();
            if (value != null) {
                given.put(name, value.toString());
            }
        }
        for (ConfigKey key : ConfigKey.values()) {
            String value = spec.findOption(key.flag()).getValue();
            if (value != null) {
                given.put(key.flag(), value);
            }
        }
        return load(given);
    }

    /** Loads files and applies {@code given}, flag name to value ({@code --config}, {@code --root}, ...). */
    static CrispConfig load(Map<String, String> given) {
        String explicit = given.get("--config");
        Path config = explicit == null ? DEFAULT_CONFIG : Path.of(explicit).toAbsolutePath();
        String dir = given.get("--config-dir");
        Path dropIns = dir == null ? config.resolveSibling(config.getFileName() + ".d") : Path.of(dir).toAbsolutePath();
        Map<ConfigKey, String> flags = new EnumMap<>(ConfigKey.class);
        for (ConfigKey key : ConfigKey.values()) {
            String value = given.get(key.flag());
            if (value != null) {
                flags.put(key, value);
            }
        }
        return new ConfigLoader(crispHome()).load(config, explicit != null, dropIns, flags);
    }

    /** Like {@link #load}, but prints a refusal on stderr and returns null (exit code 2 follows). */
    static CrispConfig loadOrReport(CommandSpec spec) {
        try {
            return load(spec);
        } catch (ConfigException e) {
            System.err.println("crisp: configuration refused: " + e.getMessage());
            return null;
        }
    }

    /** Defaults only: no file, no flag. */
    static CrispConfig defaults() {
        return new ConfigLoader(crispHome()).load(Path.of("/nonexistent/crisp.toml"), false, Path.of("/nonexistent/crisp.toml.d"), Map.of());
    }

    /** Where the launcher says crisp is installed; plugins_dir defaults to its plugins folder. */
    static Path crispHome() {
        return Path.of(System.getProperty("crisp.home", "/usr/lib/crisp"));
    }
}
