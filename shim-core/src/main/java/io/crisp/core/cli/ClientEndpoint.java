package io.crisp.core.cli;

import io.crisp.core.config.ConfigException;
import io.crisp.core.config.ConfigKey;
import io.crisp.core.config.CrispConfig;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Where a client command finds the daemon. Client commands only talk to the daemon's socket, so
 * they never need a configuration the daemon would accept: the socket comes from {@code --listen},
 * else {@code $CRISP_LISTEN}, else the configuration's {@code [api] listen} when it loads, else the
 * default; a refused configuration is reported as a warning, not a failure.
 *
 * @param listen the endpoint as given ({@code unix:///...} or an absolute path)
 * @param socket its socket path
 * @param config the loaded configuration, null when it was refused or not needed
 */
record ClientEndpoint(String listen, Path socket, CrispConfig config) {
    static final String ENVIRONMENT = "CRISP_LISTEN";

    /**
     * Resolves the endpoint of this command; null after printing why there is none (an endpoint
     * that is not a unix socket).
     */
    static ClientEndpoint resolve(CommandSpec spec) {
        return resolve(spec, System.getenv());
    }

    static ClientEndpoint resolve(CommandSpec spec, Map<String, String> environment) {
        String flag = spec.findOption(ConfigKey.LISTEN.flag()).getValue();
        String env = environment.get(ENVIRONMENT);
        CrispConfig config = null;
        String listen;
        String from;
        if (flag != null) {
            listen = flag;
            from = ConfigKey.LISTEN.flag();
        } else if (env != null && !env.isBlank()) {
            listen = env;
            from = "$" + ENVIRONMENT;
        } else {
            try {
                config = ConfigFlags.load(spec);
                listen = config.listen();
            } catch (ConfigException e) {
                listen = String.valueOf(ConfigKey.LISTEN.defaultValue(ConfigFlags.crispHome()));
                System.err.println("crisp: warning: configuration refused (" + e.getMessage() + "); using the default socket "
                        + listen + " (set --listen or $" + ENVIRONMENT + " to choose another)");
            }
            from = "configuration";
        }
        Path socket = CrispConfig.socketPathOf(listen);
        if (socket == null) {
            System.err.println("crisp: " + from + " gives \"" + listen + "\", which is not a unix socket endpoint "
                    + "(unix:///run/crisp/crisp.sock)");
            return null;
        }
        return new ClientEndpoint(listen, socket, config);
    }
}
