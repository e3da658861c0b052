package io.crisp.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.crisp.client.stream.SpdyStreamClient;
import io.crisp.client.stream.StdioConnection;
import io.crisp.spi.model.StdioWiring;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * An interactive exec or attach, the way crictl and kubectl hold one: the daemon's streaming URL
 * (from the CRI Exec or Attach call) is upgraded to SPDY/3.1 with client-go's
 * {@code v4.channel.k8s.io}; this process's stdin goes to the container (closed at EOF), its
 * stdout and stderr come back, and the outcome arrives on the error stream as a metav1.Status:
 * success, or the command's exit code. With a terminal, the local one is put in raw mode for the
 * session and its size sent at the start and on every SIGWINCH.
 */
final class ContainerStreams {
    private static final List<String> PROTOCOLS = List.of("v4.channel.k8s.io");

    private ContainerStreams() {}

    /** Whether a tty can be used: only when this process's stdin and stdout are a terminal. */
    static boolean ttyUsable(boolean wanted) {
        if (wanted && System.console() == null) {
            System.err.println("crisp: unable to use a TTY: input is not a terminal; going on without one");
            return false;
        }
        return wanted;
    }

    /** Runs the session on {@code url}; returns the exit code to exit with. */
    static int session(String url, boolean stdin, boolean tty) throws IOException, InterruptedException {
        StdioWiring wiring = new StdioWiring(stdin, true, !tty, tty);
        try (Terminal terminal = tty ? Terminal.raw() : null;
                StdioConnection connection = SpdyStreamClient.exec(URI.create(url), wiring, PROTOCOLS)) {
            if (terminal != null) {
                terminal.size().ifPresent(size -> resize(connection, size));
                terminal.onResize(() -> terminal.size().ifPresent(size -> resize(connection, size)));
            }
            Thread out = copy("stdout", connection.stdout(), System.out);
            Thread err = tty ? null : copy("stderr", connection.stderr(), System.err);
            if (stdin) {
                Thread input = new Thread(() -> sendStdin(connection), "crisp-stdin");
                input.setDaemon(true); // a read of a terminal cannot be interrupted; the session's end does not wait for it
                input.start();
            }
            Optional<String> status = connection.awaitStatus(Duration.ofDays(365));
            out.join(5000);
            if (err != null) {
                err.join(5000);
            }
            return exitCode(status);
        }
    }

    private static void resize(StdioConnection connection, int[] size) {
        try {
            connection.resize(size[1], size[0]);
        } catch (IOException e) {
            // the session is ending
        }
    }

    private static void sendStdin(StdioConnection connection) {
        byte[] buffer = new byte[8192];
        try {
            for (int n = System.in.read(buffer); n >= 0; n = System.in.read(buffer)) {
                if (n > 0) {
                    connection.stdin(java.util.Arrays.copyOf(buffer, n));
                }
            }
            connection.closeStdin();
        } catch (IOException e) {
            // the session ended first
        }
    }

    private static Thread copy(String name, InputStream from, PrintStream to) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try {
                for (int n = from.read(buffer); n >= 0; n = from.read(buffer)) {
                    to.write(buffer, 0, n);
                    to.flush();
                }
            } catch (IOException e) {
                // the connection closed
            }
        }, "crisp-" + name);
        thread.start();
        return thread;
    }

    /**
     * The exit code a metav1.Status means: none sent or {@code Success} is 0; {@code Failure} with
     * reason {@code NonZeroExitCode} carries the code in its {@code ExitCode} cause; any other
     * failure is printed and is 1.
     */
    static int exitCode(Optional<String> status) {
        if (status.isEmpty()) {
            return 0;
        }
        JsonNode json;
        try {
            json = ProtoJson.JSON.readTree(status.get());
        } catch (IOException e) {
            System.err.println("crisp: the daemon ended the session with: " + status.get());
            return ExitCodes.FAILURE;
        }
        if (json.path("status").asText().equals("Success")) {
            return 0;
        }
        if (json.path("reason").asText().equals("NonZeroExitCode")) {
            for (JsonNode cause : json.path("details").path("causes")) {
                if (cause.path("reason").asText().equals("ExitCode")) {
                    try {
                        return Integer.parseInt(cause.path("message").asText());
                    } catch (NumberFormatException e) {
                        break;
                    }
                }
            }
        }
        System.err.println("crisp: " + json.path("message").asText(status.get()));
        return ExitCodes.FAILURE;
    }

    /** The local terminal, raw for the session (no echo, no line editing, keys as typed) and restored after. */
    static final class Terminal implements AutoCloseable {
        private final String saved;

        private Terminal(String saved) {
            this.saved = saved;
        }

        static Terminal raw() throws IOException, InterruptedException {
            Terminal terminal = new Terminal(stty("-g").trim());
            stty("raw", "-echo");
            return terminal;
        }

        /** Rows and columns, when the terminal tells. */
        Optional<int[]> size() {
            try {
                String[] parts = stty("size").trim().split("\\s+");
                return Optional.of(new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])});
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }

        void onResize(Runnable action) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), signal -> action.run());
            } catch (IllegalArgumentException e) {
                // no SIGWINCH here: the size stays the first one
            }
        }

        @Override
        public void close() throws IOException {
            try {
                stty(saved);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static String stty(String... args) throws IOException, InterruptedException {
            List<String> command = new java.util.ArrayList<>(List.of("stty"));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).redirectInput(new java.io.File("/dev/tty"))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IOException("stty " + String.join(" ", args) + " failed");
            }
            return out;
        }
    }

}
