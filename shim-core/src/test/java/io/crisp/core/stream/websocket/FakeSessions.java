package io.crisp.core.stream.websocket;

import io.crisp.core.stream.session.ExecTarget;
import io.crisp.core.stream.session.ForwardClient;
import io.crisp.core.stream.session.ForwardListener;
import io.crisp.core.stream.session.PortForwardTarget;
import io.crisp.core.stream.session.StdioClient.Output;
import io.crisp.core.stream.session.StdioClient;
import io.crisp.core.stream.session.StdioListener;
import io.crisp.core.stream.session.StdioOutcome;
import io.crisp.core.stream.session.StdioTarget;
import io.crisp.core.stream.session.StreamFailure;
import io.crisp.core.stream.session.StreamSessions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Processes and pod ports in memory. Exec commands: {@code echo} (stdin to stdout until stdin
 * closes, exit 0), {@code print <out> <err> <code>}, {@code resize} (exits 0 after the first
 * resize), {@code wait} (runs until the client goes), {@code fail <message>} (cannot start).
 * Ports: {@link #ECHO_PORT} echoes; {@link #SEND_PORT} sends {@link #sendBytes} bytes of a pattern
 * and ends; {@link #REFUSED_PORT} cannot connect.
 */
final class FakeSessions implements StreamSessions {
    static final int ECHO_PORT = 1000;
    static final int SEND_PORT = 2000;
    static final int REFUSED_PORT = 3000;
    private static final byte[] EOF = new byte[0];

    final BlockingQueue<int[]> resizes = new LinkedBlockingQueue<>();
    final CountDownLatch stdioGone = new CountDownLatch(1);
    final CountDownLatch forwardGone = new CountDownLatch(1);
    volatile int sendBytes = 1024;

    static byte pattern(long i) {
        return (byte) (i * 31 + 7);
    }

    @Override
    public StdioListener startStdio(StdioTarget target, StdioClient client) {
        List<String> command = ((ExecTarget) target).command();
        BlockingQueue<byte[]> stdin = new LinkedBlockingQueue<>();
        switch (command.get(0)) {
            case "echo" -> thread(() -> {
                for (byte[] chunk = stdin.take(); chunk != EOF; chunk = stdin.take()) {
                    client.write(Output.STDOUT, chunk, 0, chunk.length);
                }
                client.finish(StdioOutcome.success());
            });
            case "print" -> thread(() -> {
                byte[] out = command.get(1).getBytes(StandardCharsets.UTF_8);
                byte[] err = command.get(2).getBytes(StandardCharsets.UTF_8);
                client.write(Output.STDOUT, out, 0, out.length);
                client.write(Output.STDERR, err, 0, err.length);
                client.finish(StdioOutcome.exited(Integer.parseInt(command.get(3))));
            });
            case "fail" -> throw new StreamFailure(command.get(1));
            default -> {
                // resize and wait act in the listener
            }
        }
        return new StdioListener() {
            @Override
            public void stdin(byte[] data) {
                stdin.add(data);
            }

            @Override
            public void stdinClosed() {
                stdin.add(EOF);
            }

            @Override
            public void resize(int width, int height) {
                resizes.add(new int[] {width, height});
                if (command.get(0).equals("resize")) {
                    client.finish(StdioOutcome.success());
                }
            }

            @Override
            public void clientGone() {
                stdioGone.countDown();
                stdin.add(EOF);
            }
        };
    }

    @Override
    public ForwardListener startForward(PortForwardTarget target, int port, ForwardClient client) {
        BlockingQueue<byte[]> toClient = new LinkedBlockingQueue<>();
        switch (port) {
            case ECHO_PORT -> thread(() -> {
                for (byte[] chunk = toClient.take(); chunk != EOF; chunk = toClient.take()) {
                    client.pauseInput(toClient.size() > 64);
                    client.write(chunk, 0, chunk.length);
                }
                client.closeData();
            });
            case SEND_PORT -> thread(() -> {
                byte[] buffer = new byte[16 * 1024];
                for (long sent = 0; sent < sendBytes; ) {
                    int n = (int) Math.min(buffer.length, sendBytes - sent);
                    for (int i = 0; i < n; i++) {
                        buffer[i] = pattern(sent + i);
                    }
                    client.write(buffer, 0, n);
                    sent += n;
                }
                client.closeData();
            });
            case REFUSED_PORT -> throw new StreamFailure("connection refused: port " + port);
            default -> throw new IllegalArgumentException("unexpected port " + port);
        }
        return new ForwardListener() {
            @Override
            public void data(byte[] data) {
                toClient.add(data);
            }

            @Override
            public void dataClosed() {
                toClient.add(EOF);
            }

            @Override
            public void clientGone() {
                forwardGone.countDown();
                toClient.add(EOF);
            }
        };
    }

    private interface Body {
        void run() throws IOException, InterruptedException;
    }

    private static void thread(Body body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (IOException | InterruptedException e) {
                // the client went away
            }
        }, "fake-process");
        t.setDaemon(true);
        t.start();
    }
}
