package io.crisp.core.stream.spdy;

import io.crisp.core.stream.session.ForwardClient;
import io.crisp.core.stream.session.ForwardListener;
import io.crisp.core.stream.session.PortForwardTarget;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/** Processes and pod ports in memory. */
final class FakeSessions implements StreamSessions {
    /** What a fake process does. */
    record Process(String stdout, String stderr, boolean echoStdin, int resizesToWait, boolean runUntilGone,
            int exitCode, String failure) {
        static Process prints(String stdout, String stderr, int exitCode) {
            return new Process(stdout, stderr, false, 0, false, exitCode, null);
        }

        static Process echo() {
            return new Process("", "", true, 0, false, 0, null);
        }
    }

    /** What a fake pod port does. */
    enum Port { ECHO, SEND, REFUSE }

    volatile Process process = Process.prints("", "", 0);
    volatile Port port = Port.ECHO;
    volatile long sendBytes;
    final AtomicLong sent = new AtomicLong();
    final List<int[]> resizes = new CopyOnWriteArrayList<>();
    final List<Integer> ports = new CopyOnWriteArrayList<>();
    final CountDownLatch clientGone = new CountDownLatch(1);
    final CountDownLatch dataClosed = new CountDownLatch(1);
    volatile boolean failToStart;

    @Override
    public StdioListener startStdio(StdioTarget target, StdioClient client) {
        if (failToStart) {
            throw new StreamFailure("container is not running");
        }
        Process p = process;
        BlockingQueue<byte[]> stdin = new LinkedBlockingQueue<>();
        byte[] end = new byte[0];
        CountDownLatch resized = new CountDownLatch(p.resizesToWait());
        CountDownLatch gone = new CountDownLatch(1);
        Thread thread = new Thread(() -> {
            try {
                if (!p.stdout().isEmpty()) {
                    byte[] out = p.stdout().getBytes(StandardCharsets.UTF_8);
                    client.write(StdioClient.Output.STDOUT, out, 0, out.length);
                }
                if (!p.stderr().isEmpty()) {
                    byte[] err = p.stderr().getBytes(StandardCharsets.UTF_8);
                    client.write(StdioClient.Output.STDERR, err, 0, err.length);
                }
                if (p.echoStdin()) {
                    for (byte[] data = stdin.take(); data != end; data = stdin.take()) {
                        client.write(StdioClient.Output.STDOUT, data, 0, data.length);
                    }
                }
                resized.await();
                if (p.runUntilGone()) {
                    gone.await();
                    return;
                }
                client.finish(p.failure() != null ? StdioOutcome.failed(p.failure()) : StdioOutcome.exited(p.exitCode()));
            } catch (IOException | InterruptedException e) {
                client.finish(StdioOutcome.failed(e.toString()));
            }
        }, "fake-process");
        thread.setDaemon(true);
        thread.start();
        return new StdioListener() {
            @Override
            public void stdin(byte[] data) {
                stdin.add(data);
            }

            @Override
            public void stdinClosed() {
                stdin.add(end);
            }

            @Override
            public void resize(int width, int height) {
                resizes.add(new int[] {width, height});
                resized.countDown();
            }

            @Override
            public void clientGone() {
                gone.countDown();
                clientGone.countDown();
            }
        };
    }

    @Override
    public ForwardListener startForward(PortForwardTarget target, int portNumber, ForwardClient client) {
        ports.add(portNumber);
        Port mode = port;
        BlockingQueue<byte[]> in = new LinkedBlockingQueue<>();
        byte[] end = new byte[0];
        if (mode == Port.REFUSE) {
            client.fail("connection refused by port " + portNumber);
        } else {
            Thread thread = new Thread(() -> {
                try {
                    if (mode == Port.SEND) {
                        byte[] chunk = new byte[64 * 1024];
                        for (long left = sendBytes; left > 0; left -= chunk.length) {
                            int n = (int) Math.min(chunk.length, left);
                            for (int i = 0; i < n; i++) {
                                chunk[i] = (byte) (sent.get() + i);
                            }
                            client.write(chunk, 0, n);
                            sent.addAndGet(n);
                        }
                        client.closeData();
                    } else {
                        for (byte[] data = in.take(); data != end; data = in.take()) {
                            client.write(data, 0, data.length);
                        }
                        client.closeData();
                    }
                } catch (IOException | InterruptedException e) {
                    client.fail(e.toString());
                }
            }, "fake-port");
            thread.setDaemon(true);
            thread.start();
        }
        return new ForwardListener() {
            @Override
            public void data(byte[] data) {
                in.add(data);
            }

            @Override
            public void dataClosed() {
                dataClosed.countDown();
                if (mode == Port.ECHO) {
                    in.add(end);
                }
            }

            @Override
            public void clientGone() {
                in.add(end);
                clientGone.countDown();
            }
        };
    }
}
