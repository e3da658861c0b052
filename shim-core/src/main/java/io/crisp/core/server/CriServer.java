package io.crisp.core.server;

import io.crisp.admin.v1.AdminGrpc;
import io.crisp.core.metrics.RuntimeMetrics;
import io.crisp.cri.v1.ImageServiceGrpc;
import io.crisp.cri.v1.RuntimeServiceGrpc;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CRI gRPC server on a Unix domain socket, with Netty's native epoll transport (grpc-java has no
 * JDK Unix socket transport). One boss thread accepts; one worker thread does the socket I/O and runs
 * the calls that answer from memory ({@link InlineCalls}); every other RPC body runs on a pool that
 * grows while calls block, so a slow backend call never blocks the event loop. The daemon
 * {@link #listen}s before its pods are recovered and {@link #open}s when they are: calls in between
 * wait ({@link LateBinding}).
 */
public final class CriServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CriServer.class);

    private final SocketFile socket;
    private final Server server;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ExecutorService executor;
    private final LateBinding methods;
    private final RuntimeMetrics metrics;

    private CriServer(SocketFile socket, Server server, EventLoopGroup boss, EventLoopGroup workers, ExecutorService executor,
            LateBinding methods, RuntimeMetrics metrics) {
        this.socket = socket;
        this.server = server;
        this.boss = boss;
        this.workers = workers;
        this.executor = executor;
        this.methods = methods;
        this.metrics = metrics;
    }

    /**
     * Binds a socket the caller prepared (and so locked) earlier, as the daemon does before it loads
     * anything: a second daemon is refused before it scans plugins or opens ports. Calls to the CRI
     * runtime and image services and crisp's admin service wait until {@link #open} binds their implementations ({@link
     * LateBinding}). The server owns {@code socket} from here on, and closes it on failure too.
     *
     * @param maxInboundMessageSize at least the kubelet's 16 MiB client limit
     * @param metrics times every RPC (none when null)
     * @throws IllegalStateException when epoll is unavailable
     * @throws UncheckedIOException when the socket cannot be bound
     */
    public static CriServer listen(SocketFile socket, int maxInboundMessageSize, RuntimeMetrics metrics) {
        return listen(socket, maxInboundMessageSize, List.of(RuntimeServiceGrpc.getServiceDescriptor(),
                ImageServiceGrpc.getServiceDescriptor(), AdminGrpc.getServiceDescriptor()), metrics);
    }

    /** {@link #listen(SocketFile, int, RuntimeMetrics)} for the methods of {@code services}. */
    static CriServer listen(SocketFile socket, int maxInboundMessageSize, List<ServiceDescriptor> services,
            RuntimeMetrics metrics) {
        Path path = socket.path();
        if (!Epoll.isAvailable()) {
            socket.close();
            throw new IllegalStateException("Netty native epoll is not available on this machine: " + Epoll.unavailabilityCause());
        }
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("crisp-accept", true), EpollIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("crisp-io", true), EpollIoHandler.newFactory());
        // Two threads stay; more are made while calls block (a long StopContainer, a pull) and
        // retire after 10 s idle: a burst's threads (stacks, buffer caches: 150 KiB or more each)
        // do not outlive it by a minute.
        ThreadPoolExecutor executor = new ThreadPoolExecutor(2, Integer.MAX_VALUE, 10, TimeUnit.SECONDS, new SynchronousQueue<>(),
                new DefaultThreadFactory("crisp-rpc", true));
        LateBinding methods = new LateBinding(services, executor);
        Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(path.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                // gRPC finds a call's method (and asks InlineCalls for its executor) on this executor:
                // with the pool here every call, inline or not, would first hop to a pool thread.
                .directExecutor()
                .callExecutor(new InlineCalls(executor))
                .fallbackHandlerRegistry(methods)
                .maxInboundMessageSize(maxInboundMessageSize)
                // gRPC turns on SO_KEEPALIVE for accepted channels; Unix sockets reject it with a
                // warning per connection. A null value removes the option.
                .withChildOption(ChannelOption.SO_KEEPALIVE, null)
                .build();
        try {
            server.start();
            // Only a socket this server bound is marked ours (and removed again on failure).
            socket.secure();
        } catch (IOException e) {
            server.shutdownNow();
            shutdown(boss, workers, executor);
            socket.close();
            throw new UncheckedIOException("cannot serve on " + path + ": " + e.getMessage(), e);
        }
        log.info("Serving CRI on unix://{}", path);
        return new CriServer(socket, server, boss, workers, executor, methods, metrics);
    }

    /**
     * Binds the implementations (each call logged by {@link RpcLogInterceptor}, and timed when the
     * server has metrics): calls that waited start now. Once only.
     */
    public void open(List<BindableService> services) {
        RpcLogInterceptor logging = new RpcLogInterceptor();
        RpcMetricsInterceptor metered = metrics == null ? null : new RpcMetricsInterceptor(metrics);
        List<ServerServiceDefinition> definitions = new ArrayList<>();
        for (BindableService service : services) {
            definitions.add(metered == null ? ServerInterceptors.intercept(service, logging)
                    : ServerInterceptors.intercept(service, logging, metered));
        }
        methods.open(definitions);
    }

    public Path path() {
        return socket.path();
    }

    /**
     * Stops accepting, lets running calls finish for a few seconds, removes the socket. Calls still
     * waiting for {@link #open} (a start that failed) end at once, UNAVAILABLE.
     */
    @Override
    public void close() {
        methods.refuse(Status.UNAVAILABLE.withDescription("crisp is stopping: it did not finish starting"));
        server.shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        shutdown(boss, workers, executor);
        socket.close();
        log.info("Stopped serving on unix://{}", socket.path());
    }

    private static void shutdown(EventLoopGroup boss, EventLoopGroup workers, ExecutorService executor) {
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        executor.shutdown();
    }

    /**
     * Runs the RPCs that answer from memory (the ones the kubelet polls every second or so) right
     * on the I/O thread: a hand-off to the pool would cost more than the work (on a loaded node, a
     * wait for the pool thread to be scheduled, and another for the I/O thread to write the answer).
     * Everything else goes to the pool, as its handler may block on a backend. Status is not inline:
     * it waits up to a second for the handlers' health probes.
     */
    static final class InlineCalls implements ServerCallExecutorSupplier {
        static final Set<String> FROM_MEMORY = Set.of(
                "runtime.v1.RuntimeService/Version",
                "runtime.v1.RuntimeService/RuntimeConfig",
                "runtime.v1.RuntimeService/ListPodSandbox",
                "runtime.v1.RuntimeService/PodSandboxStatus",
                "runtime.v1.RuntimeService/ListContainers",
                "runtime.v1.RuntimeService/ContainerStatus",
                "runtime.v1.ImageService/ImageStatus",
                "runtime.v1.ImageService/ListImages");

        private final Executor pool;

        InlineCalls(Executor pool) {
            this.pool = pool;
        }

        /** Null keeps the call on the thread that looked its method up: the I/O thread. */
        @Override
        public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata metadata) {
            return FROM_MEMORY.contains(call.getMethodDescriptor().getFullMethodName()) ? null : pool;
        }
    }
}
