package io.crisp.core.network;

import com.sun.jna.LastErrorException;
import io.crisp.core.os.LibC;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens TCP connections to a port on a pod's loopback, inside the pod's network namespace (CRI
 * {@code PortForward}: the kubelet's semantics are "localhost:port as the pod sees it", which also
 * reaches servers bound to 127.0.0.1 and works for any CNI network).
 *
 * <p>A socket belongs to the network namespace of the thread that creates it, and stays there when
 * used from other threads. One dedicated thread enters the pod's namespace with {@code setns(2)},
 * creates the socket and returns to the daemon's namespace; connecting and all I/O happen on the
 * caller's threads. No helper process, no {@code nsenter}, and the rest of the daemon never leaves
 * the host's namespace. If returning fails (it should not: the daemon's own namespace stays open),
 * that thread is retired and a fresh one takes over.
 */
public final class NetnsDialer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NetnsDialer.class);
    private static final int CLONE_NEWNET = 0x40000000;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;

    private final int hostNamespace;
    private ExecutorService thread = newThread();

    public NetnsDialer() {
        // The daemon's own namespace, as the process (not this thread) has it.
        this.hostNamespace = LibC.INSTANCE.open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    }

    /**
     * Connects to {@code port} on the loopback of the namespace at {@code netns} (127.0.0.1, then
     * ::1 when IPv4 refuses), or of the host when {@code netns} is null (hostNetwork pods). The
     * returned channel is connected and blocking.
     *
     * @throws IOException when nothing accepts the connection or the namespace is gone
     */
    public SocketChannel connect(Path netns, int port) throws IOException {
        if (port < 1 || port > 65535) {
            throw new IOException("port " + port + " is out of range 1-65535");
        }
        IOException refused;
        SocketChannel v4 = open(netns, StandardProtocolFamily.INET);
        try {
            v4.connect(new InetSocketAddress("127.0.0.1", port));
            return v4;
        } catch (IOException e) {
            v4.close();
            refused = e;
        }
        SocketChannel v6;
        try {
            v6 = open(netns, StandardProtocolFamily.INET6);
        } catch (IOException e) {
            throw refused; // no IPv6 in the namespace: IPv4's answer is the answer
        }
        try {
            v6.connect(new InetSocketAddress("::1", port));
            return v6;
        } catch (IOException e) {
            v6.close();
            refused.addSuppressed(e);
            throw refused;
        }
    }

    private SocketChannel open(Path netns, StandardProtocolFamily family) throws IOException {
        return netns == null ? SocketChannel.open(family) : inNamespace(netns, () -> SocketChannel.open(family));
    }

    /**
     * Runs {@code action} on the dialer thread while it is inside the network namespace at
     * {@code netns}; sockets it creates live there. Keep actions short and non-blocking: every
     * dial of every pod goes through this one thread.
     */
    public <T> T inNamespace(Path netns, Callable<T> action) throws IOException {
        Future<T> result;
        synchronized (this) {
            ExecutorService current = thread;
            result = current.submit(() -> enterAndRun(netns, action, current));
        }
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while entering network namespace " + netns, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException("network namespace " + netns + ": " + cause.getMessage(), cause);
        }
    }

    private <T> T enterAndRun(Path netns, Callable<T> action, ExecutorService owner) throws Exception {
        int fd;
        try {
            fd = LibC.INSTANCE.open(netns.toString(), O_RDONLY | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException("cannot open network namespace " + netns + ": errno " + e.getErrorCode(), e);
        }
        try {
            try {
                LibC.INSTANCE.setns(fd, CLONE_NEWNET);
            } catch (LastErrorException e) {
                throw new IOException("cannot enter network namespace " + netns + " (not a network namespace?): errno "
                        + e.getErrorCode(), e);
            }
            try {
                return action.call();
            } finally {
                leave(owner);
            }
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }

    private void leave(ExecutorService owner) {
        try {
            LibC.INSTANCE.setns(hostNamespace, CLONE_NEWNET);
        } catch (LastErrorException e) {
            LOG.error("Cannot return the port-forward dialer thread to the daemon's network namespace (errno {});"
                    + " retiring the thread", e.getErrorCode());
            synchronized (this) {
                if (thread == owner) {
                    thread = newThread();
                }
            }
            owner.shutdown();
        }
    }

    private static ExecutorService newThread() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "crisp-netns-dialer");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public synchronized void close() {
        thread.shutdownNow();
        LibC.INSTANCE.close(hostNamespace);
    }
}
