package io.crisp.core.server;

import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.epoll.Epoll;

/**
 * Start-up work of the server that depends on no configuration, run on a thread of its own while
 * the main thread reads the flags and the configuration file: logging's initialisation (which opens
 * every JAR on the class path to look for service providers), Netty's native transport, the CRI
 * descriptors and grpc-netty's statics. Optional: {@link CriServer#start} does the same work itself
 * if it has not happened yet.
 *
 * <p>Its own class, with no logger of its own: initialising {@link CriServer} (whose static logger
 * initialises logging) on the main thread would do the slowest part of this work before the
 * thread even starts (restart after kill -9 with 20 pods: about 120 ms on the main thread).
 */
public final class ServerPreload {
    private ServerPreload() {
    }

    /** Starts the work on a daemon thread, {@code crisp-preload}, and returns at once. */
    public static void begin() {
        Thread t = new Thread(() -> {
            org.slf4j.LoggerFactory.getILoggerFactory();
            Epoll.isAvailable();
            io.crisp.cri.v1.CriApiProto.getDescriptor();
            io.crisp.cri.v1.StatusResponse.getDefaultInstance();
            NettyServerBuilder.forPort(0); // initialises grpc-netty's statics; nothing is bound
        }, "crisp-preload");
        t.setDaemon(true);
        t.start();
    }
}
