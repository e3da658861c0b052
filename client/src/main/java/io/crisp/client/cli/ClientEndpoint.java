package io.crisp.client.cli;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Where a client command finds the daemon. Client commands only talk to the daemon's socket, so
 * they never need a configuration the daemon would accept: the socket comes from {@code --listen},
 * else {@code $CRISP_LISTEN}, else the configuration's {@code [api] listen} when it loads, else the
 * default; a refused configuration is reported as a warning, not a failure.
 *
 * <p>The client does not read the daemon's configuration itself: the launcher that bundles it
 * with the daemon provides a {@link ConfiguredListen} (a {@link ServiceLoader} service). Without one
 * the default socket is used.
 *
 * @param listen the endpoint as given ({@code unix:///...} or an absolute path)
 * @param socket its socket path
 */
public record ClientEndpoint(String listen, Path socket) {
    public static final String ENVIRONMENT = "CRISP_LISTEN";
    /** The flag every client command accepts once the launcher has added the configuration flags. */
    public static final String LISTEN_FLAG = "--listen";
    /** The socket when nothing names another and no configuration reader is present. */
    public static final String DEFAULT_LISTEN = "unix:///run/crisp/crisp.sock";

    /** The configuration's answer to "where does the daemon listen", as the launcher reads it. */
    public interface ConfiguredListen {
        /**
         * The configured {@code [api] listen} for this command's configuration flags.
         *
         * @throws IllegalArgumentException when the configuration is refused; the message says why
         */
        String listen(CommandSpec spec);

        /** The built-in default, used when the configuration is refused. */
        String defaultListen();
    }

    /**
     * Resolves the endpoint of this command; null after printing why there is none (an endpoint
     * that is not a unix socket).
     */
    public static ClientEndpoint resolve(CommandSpec spec) {
        return resolve(spec, System.getenv());
    }

    static ClientEndpoint resolve(CommandSpec spec, Map<String, String> environment) {
        OptionSpec option = spec.findOption(LISTEN_FLAG);
        String flag = option == null ? null : option.getValue();
        String env = environment.get(ENVIRONMENT);
        String listen;
        String from;
        if (flag != null) {
            listen = flag;
            from = LISTEN_FLAG;
        } else if (env != null && !env.isBlank()) {
            listen = env;
            from = "$" + ENVIRONMENT;
        } else {
            ConfiguredListen configured = ServiceLoader.load(ConfiguredListen.class).findFirst().orElse(null);
            if (configured == null) {
                listen = DEFAULT_LISTEN;
            } else {
                try {
                    listen = configured.listen(spec);
                } catch (IllegalArgumentException e) {
                    listen = configured.defaultListen();
                    System.err.println("crisp: warning: configuration refused (" + e.getMessage() + "); using the default socket "
                            + listen + " (set --listen or $" + ENVIRONMENT + " to choose another)");
                }
            }
            from = "configuration";
        }
        Path socket = socketPathOf(listen);
        if (socket == null) {
            System.err.println("crisp: " + from + " gives \"" + listen + "\", which is not a unix socket endpoint "
                    + "(unix:///run/crisp/crisp.sock)");
            return null;
        }
        return new ClientEndpoint(listen, socket);
    }

    /**
     * Accepts {@code unix:///run/crisp/crisp.sock} and a bare absolute path; returns null for
     * anything else (the CRI socket is a unix socket; crictl's endpoint form).
     */
    public static Path socketPathOf(String listen) {
        if (listen.startsWith("/")) {
            return Path.of(listen).normalize();
        }
        if (!listen.startsWith("unix://")) {
            return null;
        }
        URI uri;
        try {
            uri = new URI(listen.replace(" ", "%20"));
        } catch (URISyntaxException e) {
            return null;
        }
        // unix://run/x.sock reads "run" as a host: only unix:///absolute/path names a socket.
        String path = uri.getPath();
        return uri.getRawAuthority() != null || path == null || !path.startsWith("/") ? null : Path.of(path).normalize();
    }

    /** True when something accepts connections on the socket. */
    public static boolean answers(Path socket) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) { // refused, or no such file
            return false;
        }
    }
}
