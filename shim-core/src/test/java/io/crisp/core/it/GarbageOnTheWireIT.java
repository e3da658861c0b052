package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import io.crisp.admin.v1.AdminProto;
import io.crisp.cri.v1.CriApiProto;
import io.crisp.cri.v1.VersionRequest;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.sessions.JqwikSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every RPC of the CRI RuntimeService and ImageService and of crisp's Admin service, fed requests
 * that {@link WireGarbage} builds from their descriptors, through a real daemon's socket with a real
 * gRPC client. Each call must be answered with a status that is neither UNKNOWN nor INTERNAL (every
 * request here is the caller's mistake or harmless), unary calls must not hang, the daemon must stay
 * up, and its RSS, threads and file descriptors must stay flat over the run.
 *
 * <p>The image a PullImage names is put under registry {@code 127.0.0.1:1} (nothing listens there) and
 * the pause image is there too, so no name the generator makes up can reach a real host. Tries: {@code -Dgarbage.tries=N} (default 2000);
 * seed: {@code -Dgarbage.seed=S} (printed at the start and in any failure).
 */
final class GarbageOnTheWireIT {
    private static final int TRIES = Integer.getInteger("garbage.tries", 2000);
    private static final long SEED = Long.getLong("garbage.seed", System.nanoTime());
    private static final int WARMUP = Math.min(500, TRIES / 4);

    @TempDir
    Path dir;

    @Test
    void everyRpcAnswersGarbageWithAProperStatusAndTheDaemonStaysFlat() throws Exception {
        System.out.printf("GarbageOnTheWireIT: seed %d, %d tries (-Dgarbage.seed=%d -Dgarbage.tries=%d to replay)%n", SEED, TRIES, SEED, TRIES);
        List<MethodDescriptor> methods = new ArrayList<>();
        for (ServiceDescriptor service : List.of(CriApiProto.getDescriptor().findServiceByName("RuntimeService"),
                CriApiProto.getDescriptor().findServiceByName("ImageService"), AdminProto.getDescriptor().getServices().get(0))) {
            methods.addAll(service.getMethods());
        }
        Files.writeString(dir.resolve("registries.conf"), "# no mirrors: the host's file is not read\n");
        DaemonProcess daemon = new DaemonProcess(dir.resolve("daemon")).writeConfig("[image]\npause_image = \"127.0.0.1:1/crisp/pause:none\"\n"
                + "registries_conf = \"" + dir.resolve("registries.conf") + "\"\n[runtimes.runc]\nplugin = \"runc\"\n");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        ManagedChannel channel = null;
        try (daemon) {
            // the launcher records its class-data archive once per build: Crisp.recordArchiveOnce, before start
            daemon.start();
            channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(daemon.socket.toString()))
                    .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext()
                    .maxInboundMessageSize(16 << 20).withOption(ChannelOption.SO_KEEPALIVE, null).build();
            Random random = new Random(SEED);
            Map<String, Integer> codes = new TreeMap<>();
            Map<String, String> bugs = new LinkedHashMap<>();
            Usage before = null;
            long started = System.nanoTime();
            Map<String, DynamicMessage> valid = validRequests(dir);
            JqwikSession.start();
            try {
                WireGarbage garbage = new WireGarbage(random, List.of("crisp-test", "default", "runc", "localhost/crisp/busybox:latest"));
                for (int i = 0; i < TRIES; i++) {
                    if (i == WARMUP) {
                        before = Usage.of(daemon.pid());
                    }
                    MethodDescriptor method = methods.get(random.nextInt(methods.size()));
                    DynamicMessage base = valid.get(method.getInputType().getName());
                    DynamicMessage request = offTheNetwork(base != null && random.nextBoolean() ? garbage.mutate(base)
                            : garbage.message(method.getInputType()));
                    Status status = call(channel, method, request);
                    String name = method.getName();
                    codes.merge(name + " " + status.getCode(), 1, Integer::sum);
                    boolean streaming = method.toProto().getServerStreaming();
                    boolean bad = status.getCode() == Status.Code.UNKNOWN || status.getCode() == Status.Code.INTERNAL
                            || !streaming && status.getCode() == Status.Code.DEADLINE_EXCEEDED
                            || status.getCode() == Status.Code.UNAVAILABLE && !daemon.process().isAlive();
                    if (bad) {
                        bugs.putIfAbsent(name + " " + status.getCode(), "try " + i + ": " + shorten(status.toString()) + "\n  request: " + shorten(request.toString()));
                    }
                    if (!daemon.process().isAlive()) {
                        fail("the daemon died at try " + i + " (seed " + SEED + ") on " + name + ":\n" + shorten(request.toString()) + "\n"
                                + tail(daemon.logs()));
                    }
                }
            } finally {
                JqwikSession.finish();
            }
            Usage after = Usage.of(daemon.pid());
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("GarbageOnTheWireIT: %d calls in %.1f s; %s -> %s%n", TRIES, seconds, before, after);
            codes.forEach((k, v) -> System.out.println("  " + k + ": " + v));
            assertEquals(Map.of(), bugs, "seed " + SEED + ": calls answered UNKNOWN, INTERNAL, or not at all");
            daemon.client().runtime().version(VersionRequest.getDefaultInstance());
            if (before != null) {
                assertTrue(after.rssKb() < before.rssKb() + 256 * 1024, "RSS grew from " + before + " to " + after);
                assertTrue(after.threads() <= before.threads() + 16, "threads grew from " + before + " to " + after);
                assertTrue(after.fds() <= before.fds() + 16, "file descriptors grew from " + before + " to " + after);
            }
        } finally {
            if (channel != null) {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** Well-formed requests of the kinds whose checks go deepest, by message name, for {@link WireGarbage#mutate}. */
    private static Map<String, DynamicMessage> validRequests(Path dir) {
        var pod = Pods.pod("garbage", dir.resolve("logs")).build();
        var container = Pods.container("garbage", "sh", "-c", "sleep 1").build();
        Map<String, DynamicMessage> valid = new LinkedHashMap<>();
        for (com.google.protobuf.Message m : List.<com.google.protobuf.Message>of(
                io.crisp.cri.v1.RunPodSandboxRequest.newBuilder().setConfig(pod).build(),
                io.crisp.cri.v1.CreateContainerRequest.newBuilder().setPodSandboxId("0".repeat(64)).setConfig(container).setSandboxConfig(pod).build(),
                io.crisp.cri.v1.UpdateContainerResourcesRequest.newBuilder().setContainerId("0".repeat(64))
                        .setLinux(io.crisp.cri.v1.LinuxContainerResources.newBuilder().setCpuShares(512).setMemoryLimitInBytes(64 << 20)).build(),
                io.crisp.cri.v1.ExecSyncRequest.newBuilder().setContainerId("0".repeat(64)).addCmd("true").setTimeout(5).build(),
                io.crisp.cri.v1.PortForwardRequest.newBuilder().setPodSandboxId("0".repeat(64)).addPort(80).build(),
                io.crisp.cri.v1.UpdateRuntimeConfigRequest.newBuilder().setRuntimeConfig(io.crisp.cri.v1.RuntimeConfig.newBuilder()
                        .setNetworkConfig(io.crisp.cri.v1.NetworkConfig.newBuilder().setPodCidr("10.250.0.0/24"))).build(),
                io.crisp.cri.v1.ListContainersRequest.newBuilder().setFilter(io.crisp.cri.v1.ContainerFilter.newBuilder()
                        .putLabelSelector("app", "x").setState(io.crisp.cri.v1.ContainerStateValue.newBuilder())).build())) {
            valid.put(m.getDescriptorForType().getName(), DynamicMessage.newBuilder(m).build());
        }
        return valid;
    }

    /** {@code request} with the image of a PullImage (its only field that reaches a registry) on 127.0.0.1:1. */
    private static DynamicMessage offTheNetwork(DynamicMessage request) {
        var imageField = request.getDescriptorForType().findFieldByName("image");
        if (!request.getDescriptorForType().getName().equals("PullImageRequest") || !request.hasField(imageField)) {
            return request;
        }
        DynamicMessage spec = (DynamicMessage) request.getField(imageField);
        var name = spec.getDescriptorForType().findFieldByName("image");
        String garbage = (String) spec.getField(name);
        return request.toBuilder().setField(imageField, spec.toBuilder().setField(name, "127.0.0.1:1/" + garbage).build()).build();
    }

    /** Sends {@code request} as {@code method}'s request bytes; the status it was answered with. */
    private static Status call(ManagedChannel channel, MethodDescriptor method, DynamicMessage request) {
        boolean streaming = method.toProto().getServerStreaming();
        io.grpc.MethodDescriptor<byte[], byte[]> grpc = io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(streaming ? io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING : io.grpc.MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(io.grpc.MethodDescriptor.generateFullMethodName(method.getService().getFullName(), method.getName()))
                .setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();
        CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(streaming ? 1 : 30, TimeUnit.SECONDS);
        try {
            if (streaming) {
                Iterator<byte[]> answers = ClientCalls.blockingServerStreamingCall(channel, grpc, options, request.toByteArray());
                while (answers.hasNext()) {
                    answers.next();
                }
            } else {
                ClientCalls.blockingUnaryCall(channel, grpc, options, request.toByteArray());
            }
            return Status.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
    }

    private static final io.grpc.MethodDescriptor.Marshaller<byte[]> RAW = new io.grpc.MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    };

    private static String shorten(String text) {
        return text.length() > 400 ? text.substring(0, 400) + "... (" + text.length() + " chars)" : text;
    }

    private static String tail(String log) {
        return log.length() > 8000 ? log.substring(log.length() - 8000) : log;
    }

    /** The daemon's resident memory, threads and open files, from /proc. */
    record Usage(long rssKb, int threads, int fds) {
        static Usage of(long pid) throws IOException {
            long rss = 0;
            int threads = 0;
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("\\D", ""));
                } else if (line.startsWith("Threads:")) {
                    threads = Integer.parseInt(line.replaceAll("\\D", ""));
                }
            }
            try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
                return new Usage(rss, threads, (int) fds.count());
            }
        }

        @Override
        public String toString() {
            return "RSS " + rssKb / 1024 + " MiB, " + threads + " threads, " + fds + " fds";
        }
    }
}
