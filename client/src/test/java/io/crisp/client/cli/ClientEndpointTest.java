package io.crisp.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The client on its own, without the launcher's configuration reader: flag, environment, default. */
final class ClientEndpointTest {
    private static CommandSpec withListen(String... args) {
        CommandSpec spec = CommandSpec.create().name("pods");
        spec.addOption(OptionSpec.builder(ClientEndpoint.LISTEN_FLAG).type(String.class).build());
        new CommandLine(spec).parseArgs(args);
        return spec;
    }

    @Test
    void theFlagWinsOverTheEnvironmentWhichWinsOverTheDefault() {
        Map<String, String> env = Map.of(ClientEndpoint.ENVIRONMENT, "unix:///run/from-env.sock");
        assertEquals(Path.of("/run/flag.sock"), ClientEndpoint.resolve(withListen("--listen", "unix:///run/flag.sock"), env).socket());
        assertEquals(Path.of("/run/from-env.sock"), ClientEndpoint.resolve(withListen(), env).socket());
        assertEquals(Path.of("/run/crisp/crisp.sock"), ClientEndpoint.resolve(withListen(), Map.of()).socket());
        // A command the launcher gave no configuration flags falls back the same way.
        assertEquals(Path.of("/run/crisp/crisp.sock"), ClientEndpoint.resolve(CommandSpec.create(), Map.of()).socket());
    }

    @Test
    void onlyUnixSocketEndpointsAreAccepted() {
        assertEquals(Path.of("/run/x.sock"), ClientEndpoint.socketPathOf("unix:///run/sub/../x.sock"));
        assertEquals(Path.of("/run/my crisp/x.sock"), ClientEndpoint.socketPathOf("unix:///run/my crisp/x.sock"));
        assertEquals(Path.of("/run/x.sock"), ClientEndpoint.socketPathOf("/run/x.sock"));
        assertNull(ClientEndpoint.socketPathOf("unix://run/x.sock"));
        assertNull(ClientEndpoint.socketPathOf("tcp://127.0.0.1:1234"));
        assertNull(ClientEndpoint.resolve(withListen("--listen", "tcp://127.0.0.1:1234"), Map.of()));
    }

    @Test
    void answersOnlyWhenSomethingListens(@TempDir Path dir) throws IOException {
        Path socket = dir.resolve("s.sock");
        assertFalse(ClientEndpoint.answers(socket));
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            assertTrue(ClientEndpoint.answers(socket));
        }
    }
}
