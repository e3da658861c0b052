package io.crisp.core.cli;

import io.crisp.client.cli.ClientEndpoint;
import io.crisp.core.config.ConfigException;
import io.crisp.core.config.ConfigKey;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Tells the client commands where the daemon's configuration (files, drop-ins and the flags given
 * to the command) puts the socket. The configuration is the daemon's, read by its own loader; the
 * client only receives the endpoint. Registered in META-INF/services.
 */
public final class DaemonConfigListen implements ClientEndpoint.ConfiguredListen {
    @Override
    public String listen(CommandSpec spec) {
        try {
            return ConfigFlags.load(spec).listen();
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    @Override
    public String defaultListen() {
        return String.valueOf(ConfigKey.LISTEN.defaultValue(ConfigFlags.crispHome()));
    }
}
