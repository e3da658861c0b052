package io.crisp.core.cli;

import io.crisp.core.config.ConfigKey;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The command line of {@code crisp serve} as a service manager writes it ({@code serve --config FILE
 * --root DIR ...}), read without picocli: building picocli's model of the serve command and its
 * configuration flags costs a daemon (re)start over 100 ms of CPU (picocli's classes predate Java 6,
 * so class-data sharing cannot keep them). Anything else ({@code --help}, an unknown or repeated
 * flag, a missing value, a value that starts with {@code -}, an {@code @file}) is left to picocli,
 * which reports it as before; what this accepts, picocli accepts with the same meaning.
 */
final class ServeArgs {
    private ServeArgs() {}

    /**
     * The flags given to {@code serve} by name ({@code --config} to its value), or empty when picocli
     * should read this command line.
     */
    static Optional<Map<String, String>> read(String[] args) {
        if (args.length == 0 || !args[0].equals("serve")) {
            return Optional.empty();
        }
        Set<String> known = new HashSet<>();
        known.add("--config");
        known.add("--config-dir");
        for (ConfigKey key : ConfigKey.values()) {
            known.add(key.flag());
        }
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            String arg = args[i];
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            String value;
            if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                return Optional.empty();
            }
            if (!known.contains(name) || flags.containsKey(name) || value.startsWith("-") || value.startsWith("@")) {
                return Optional.empty();
            }
            flags.put(name, value);
        }
        return Optional.of(flags);
    }
}
