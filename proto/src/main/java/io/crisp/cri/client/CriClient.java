package io.crisp.cri.client;

import io.crisp.cri.v1.ImageServiceGrpc;
import io.crisp.cri.v1.RuntimeServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A blocking CRI client over a Unix socket, as the kubelet and crictl connect: for tests,
 * benchmarks, the {@code crisp} CLI and anyone who wants to drive a CRI runtime from Java.
 *
 * <pre>{@code
 * try (CriClient cri = CriClient.connect(Path.of("/run/crisp/crisp.sock"))) {
 *     VersionResponse v = cri.runtime().version(VersionRequest.getDefaultInstance());
 * }
 * }</pre>
 *
 * Stubs returned by {@link #runtime()} and {@link #images()} carry the client's deadline per call.
 */
public final class CriClient implements AutoCloseable {
    /** The kubelet's CRI client limit on message size. */
    public static final int MAX_MESSAGE_SIZE = 16 << 20;

    private final Path socket;
    private final EventLoopGroup group;
    private final ManagedChannel channel;
    private final Duration deadline;

    private CriClient(Path socket, EventLoopGroup group, ManagedChannel channel, Duration deadline) {
        this.socket = socket;
        this.group = group;
        this.channel = channel;
        this.deadline = deadline;
    }

    /** Connects lazily: the first call opens the socket. Calls time out after 2 minutes, as the kubelet's. */
    public static CriClient connect(Path socket) {
        return connect(socket, Duration.ofMinutes(2));
    }

    public static CriClient connect(Path socket, Duration deadline) {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, r -> {
            Thread t = new Thread(r, "cri-client-io");
            t.setDaemon(true);
            return t;
        }, EpollIoHandler.newFactory());
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class)
                .eventLoopGroup(group)
                .usePlaintext()
                .maxInboundMessageSize(MAX_MESSAGE_SIZE)
                // gRPC asks for SO_KEEPALIVE, which Unix sockets reject with a warning; a null value removes it.
                .withOption(ChannelOption.SO_KEEPALIVE, null)
                .build();
        return new CriClient(socket, group, channel, deadline);
    }

    public Path socket() {
        return socket;
    }

    public RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime() {
        return RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    public ImageServiceGrpc.ImageServiceBlockingStub images() {
        return ImageServiceGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** crisp's own administration API on the same socket (not part of the CRI). */
    public io.crisp.admin.v1.AdminGrpc.AdminBlockingStub admin() {
        return io.crisp.admin.v1.AdminGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }
}
