package io.crisp.core.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on loopback that passes what the client sends at once and what the server answers at
 * most {@code bytesPerSecond}: a registry behind it serves blobs slowly, so a pull lasts at least
 * its size over that rate however fast the machine is (a slower machine only makes it longer).
 */
final class SlowRelay implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress upstream;
    private final long bytesPerSecond;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    private SlowRelay(ServerSocket server, InetSocketAddress upstream, long bytesPerSecond) {
        this.server = server;
        this.upstream = upstream;
        this.bytesPerSecond = bytesPerSecond;
        this.acceptor = new Thread(this::accept, "slow-relay-" + server.getLocalPort());
        this.acceptor.setDaemon(true);
    }

    /** Relays 127.0.0.1:(a free port) to {@code upstreamPort} on loopback. */
    static SlowRelay start(int upstreamPort, long bytesPerSecond) {
        try {
            ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            SlowRelay relay = new SlowRelay(server, new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), bytesPerSecond);
            relay.acceptor.start();
            return relay;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code 127.0.0.1:PORT}, as an image name's registry part. */
    String host() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket target = new Socket();
                target.connect(upstream, 5_000);
                open.add(client);
                open.add(target);
                pump(client, target, 0);
                pump(target, client, bytesPerSecond);
            } catch (IOException e) {
                if (!server.isClosed()) {
                    System.err.println("slow relay: " + e);
                }
            }
        }
    }

    /** Copies {@code from} to {@code to} on its own thread, at most {@code rate} bytes a second (0: no limit). */
    private void pump(Socket from, Socket to, long rate) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    out.write(buffer, 0, n);
                    out.flush();
                    if (rate > 0) { // each chunk waits its share of a second: never faster than rate, idle time earns no burst
                        long wait = n * 1_000_000_000L / rate;
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
            } catch (IOException | InterruptedException e) {
                // the other side closed: the pair ends
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "slow-relay-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        open.forEach(SlowRelay::closeQuietly);
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
