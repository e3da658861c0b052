package io.crisp.client.cli;

import picocli.CommandLine.Option;

/**
 * The options every client command shares (a picocli mixin): where the daemon listens, and the
 * configuration file whose {@code [api] listen} is the fallback. The launcher may add the rest of
 * the daemon's configuration flags, hidden: a client command needs none of them.
 */
public final class ClientOptions {
    @Option(names = {"-l", ClientEndpoint.LISTEN_FLAG}, paramLabel = "ENDPOINT",
            description = "daemon socket unix:///PATH (default: $" + ClientEndpoint.ENVIRONMENT + ")")
    String listen;

    @Option(names = "--config", paramLabel = "FILE", description = "else [api] listen of this configuration")
    java.nio.file.Path config;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
    boolean help;
}
