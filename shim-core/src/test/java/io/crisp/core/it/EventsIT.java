package io.crisp.core.it;

import static io.crisp.cri.v1.ContainerEventType.CONTAINER_CREATED_EVENT;
import static io.crisp.cri.v1.ContainerEventType.CONTAINER_DELETED_EVENT;
import static io.crisp.cri.v1.ContainerEventType.CONTAINER_STARTED_EVENT;
import static io.crisp.cri.v1.ContainerEventType.CONTAINER_STOPPED_EVENT;
import static io.crisp.cri.v1.ContainerState.CONTAINER_CREATED;
import static io.crisp.cri.v1.ContainerState.CONTAINER_EXITED;
import static io.crisp.cri.v1.ContainerState.CONTAINER_RUNNING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ContainerEventResponse;
import io.crisp.cri.v1.ContainerEventType;
import io.crisp.cri.v1.ContainerStatus;
import io.crisp.cri.v1.GetEventsRequest;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxState;
import io.crisp.cri.v1.RemoveContainerRequest;
import io.crisp.cri.v1.RemovePodSandboxRequest;
import io.crisp.cri.v1.RuntimeServiceGrpc;
import io.crisp.cri.v1.StartContainerRequest;
import io.crisp.cri.v1.StopContainerRequest;
import io.crisp.cri.v1.StopPodSandboxRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * GetContainerEvents on a real daemon (runc, conmon, CNI) through the real socket: two
 * subscribers see one pod's whole lifecycle, in order, each event with the pod's and its
 * containers' statuses as they were then.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
final class EventsIT {
    private Path dir;
    private DaemonProcess daemon;
    private TestNetwork network;
    private CriClient client;
    private EventLoopGroup group;
    private ManagedChannel channel;

    @BeforeAll
    void startDaemon(@TempDir Path tmp) {
        dir = tmp;
        network = TestNetwork.create(dir);
        daemon = Pods.daemon(dir.resolve("daemon"), network);
        client = daemon.client();
        group = new MultiThreadIoEventLoopGroup(1, r -> {
            Thread t = new Thread(r, "events-it-io");
            t.setDaemon(true);
            return t;
        }, EpollIoHandler.newFactory());
        channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(daemon.socket.toString()))
                .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext()
                .withOption(ChannelOption.SO_KEEPALIVE, null).build();
    }

    @AfterAll
    void stopDaemon() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        if (client != null) {
            Pods.removeAll(client);
        }
        if (daemon != null) {
            daemon.close();
        }
        if (network != null) {
            network.close();
        }
    }

    /** One open GetContainerEvents stream. */
    private static final class Subscriber implements ClientResponseObserver<GetEventsRequest, ContainerEventResponse> {
        final BlockingQueue<ContainerEventResponse> events = new LinkedBlockingQueue<>();
        final CompletableFuture<Status> closed = new CompletableFuture<>();
        volatile ClientCallStreamObserver<GetEventsRequest> call;

        @Override
        public void beforeStart(ClientCallStreamObserver<GetEventsRequest> requestStream) {
            call = requestStream;
        }

        @Override
        public void onNext(ContainerEventResponse value) {
            events.add(value);
        }

        @Override
        public void onError(Throwable t) {
            closed.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            closed.complete(Status.OK);
        }

        ContainerEventResponse next(String forWhat) throws InterruptedException {
            ContainerEventResponse e = events.poll(30, TimeUnit.SECONDS);
            assertNotNull(e, "no event within 30 s; expected " + forWhat + (closed.isDone() ? "; the stream ended: " + closed.join() : ""));
            return e;
        }

        /** The next event, which must be {@code type} for {@code id}. */
        ContainerEventResponse expect(ContainerEventType type, String id) throws InterruptedException {
            ContainerEventResponse e = next(type + " of " + id);
            assertEquals(type + " " + id, e.getContainerEventType() + " " + e.getContainerId(), e.toString());
            return e;
        }
    }

    /**
     * Subscribes and gives the server time to register the subscriber: the CRI stream has no
     * acknowledgement (the kubelet relists after subscribing), so the connection is made first
     * with a Version call and the request then only has to cross an open socket.
     */
    private Subscriber subscribe() throws InterruptedException {
        RuntimeServiceGrpc.newBlockingStub(channel).version(io.crisp.cri.v1.VersionRequest.getDefaultInstance());
        Subscriber s = new Subscriber();
        RuntimeServiceGrpc.newStub(channel).getContainerEvents(GetEventsRequest.getDefaultInstance(), s);
        Thread.sleep(500);
        assertFalse(s.closed.isDone(), "the stream ended at once: " + (s.closed.isDone() ? s.closed.join() : null));
        return s;
    }

    private static ContainerStatus statusOf(ContainerEventResponse e, String id) {
        return e.getContainersStatusesList().stream().filter(c -> c.getId().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("the event carries no status of " + id + ": " + e));
    }

    @Test
    void twoSubscribersSeeAPodsWholeLifecycleInOrder() throws Exception {
        Subscriber first = subscribe();
        Subscriber second = subscribe();
        PodSandboxConfig pod = Pods.pod("events", dir.resolve("logs/events")).build();
        long before = System.currentTimeMillis() * 1_000_000L;
        String podId = Pods.run(client, pod);

        String exiting = Pods.create(client, podId, pod, Pods.container("exiting", "sh", "-c", "exit 2").build());
        client.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(exiting).build());
        Pods.awaitState(client, exiting, CONTAINER_EXITED, 30);

        String sleeper = Pods.createAndStart(client, podId, pod, Pods.container("sleeper", "sleep", "1000").build());
        Pods.awaitState(client, sleeper, CONTAINER_RUNNING, 30);
        client.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(sleeper).setTimeout(0).build());
        client.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(sleeper).build());
        client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        client.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());

        for (Subscriber s : List.of(first, second)) {
            // the pod's own lifecycle comes under its sandbox id, as containerd sends it
            ContainerEventResponse podCreated = s.expect(CONTAINER_CREATED_EVENT, podId);
            assertTrue(podCreated.getCreatedAt() >= before - 1_000_000_000L, "created_at is Unix nanoseconds: " + podCreated.getCreatedAt());
            assertEquals(PodSandboxState.SANDBOX_READY, podCreated.getPodSandboxStatus().getState());
            assertEquals("events", podCreated.getPodSandboxStatus().getMetadata().getName());
            assertEquals(0, podCreated.getContainersStatusesCount());
            s.expect(CONTAINER_STARTED_EVENT, podId);

            ContainerEventResponse created = s.expect(CONTAINER_CREATED_EVENT, exiting);
            assertEquals(podId, created.getPodSandboxStatus().getId());
            assertEquals(CONTAINER_CREATED, statusOf(created, exiting).getState());
            assertEquals("exiting", statusOf(created, exiting).getMetadata().getName());
            ContainerEventResponse started = s.expect(CONTAINER_STARTED_EVENT, exiting);
            // It may have exited already (the start saw it gone), but it was started.
            assertTrue(statusOf(started, exiting).getStartedAt() > 0, started.toString());
            ContainerEventResponse exited = s.expect(CONTAINER_STOPPED_EVENT, exiting);
            ContainerStatus exitedStatus = statusOf(exited, exiting);
            assertEquals(CONTAINER_EXITED, exitedStatus.getState());
            assertEquals(2, exitedStatus.getExitCode());
            assertEquals("Error", exitedStatus.getReason());
            assertEquals(PodSandboxState.SANDBOX_READY, exited.getPodSandboxStatus().getState());

            ContainerEventResponse sleeperCreated = s.expect(CONTAINER_CREATED_EVENT, sleeper);
            assertEquals(2, sleeperCreated.getContainersStatusesCount(), "every container of the pod: " + sleeperCreated);
            assertEquals(CONTAINER_EXITED, statusOf(sleeperCreated, exiting).getState());
            assertEquals(CONTAINER_RUNNING, statusOf(s.expect(CONTAINER_STARTED_EVENT, sleeper), sleeper).getState());
            ContainerStatus stopped = statusOf(s.expect(CONTAINER_STOPPED_EVENT, sleeper), sleeper);
            assertEquals(CONTAINER_EXITED, stopped.getState());
            assertEquals(137, stopped.getExitCode(), "killed: " + stopped);
            ContainerEventResponse sleeperDeleted = s.expect(CONTAINER_DELETED_EVENT, sleeper);
            assertEquals(List.of(exiting), sleeperDeleted.getContainersStatusesList().stream().map(ContainerStatus::getId).toList(),
                    "a deleted container is no longer among the pod's");

            // StopPodSandbox: its containers have all stopped already, so only the pod itself stops
            ContainerEventResponse podStopped = s.expect(CONTAINER_STOPPED_EVENT, podId);
            assertEquals(PodSandboxState.SANDBOX_NOTREADY, podStopped.getPodSandboxStatus().getState());
            // RemovePodSandbox removes its remaining container, then the pod
            assertEquals(0, s.expect(CONTAINER_DELETED_EVENT, exiting).getContainersStatusesCount());
            ContainerEventResponse podDeleted = s.expect(CONTAINER_DELETED_EVENT, podId);
            assertFalse(podDeleted.hasPodSandboxStatus(), "a removed pod has no status any more");

            assertTrue(s.events.poll(300, TimeUnit.MILLISECONDS) == null, "nothing more: " + s.events);
            assertFalse(s.closed.isDone(), "the stream stays open");
        }

        // a pod stop also stops the containers still running in it, each exactly once
        Subscriber third = subscribe();
        PodSandboxConfig pod2 = Pods.pod("events2", dir.resolve("logs/events2")).build();
        String pod2Id = Pods.run(client, pod2);
        String runner = Pods.createAndStart(client, pod2Id, pod2, Pods.container("runner", "sleep", "1000").build());
        Pods.awaitState(client, runner, CONTAINER_RUNNING, 30);
        client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod2Id).build());
        client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod2Id).build());
        for (Subscriber s : List.of(first, second, third)) {
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                ContainerEventResponse e = s.next("the second pod's events");
                seen.add(e.getContainerEventType() + " " + (e.getContainerId().equals(pod2Id) ? "pod" : "runner"));
            }
            assertEquals(List.of("CONTAINER_CREATED_EVENT pod", "CONTAINER_STARTED_EVENT pod", "CONTAINER_CREATED_EVENT runner",
                    "CONTAINER_STARTED_EVENT runner", "CONTAINER_STOPPED_EVENT runner"), seen);
            ContainerEventResponse podStopped = s.expect(CONTAINER_STOPPED_EVENT, pod2Id);
            assertEquals(CONTAINER_EXITED, statusOf(podStopped, runner).getState());
            assertTrue(s.events.poll(300, TimeUnit.MILLISECONDS) == null, "a second StopPodSandbox publishes nothing: " + s.events);
        }

        // a subscriber that cancels goes; the others stay
        third.call.cancel("test done", null);
        client.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod2Id).build());
        for (Subscriber s : List.of(first, second)) {
            s.expect(CONTAINER_DELETED_EVENT, runner);
            s.expect(CONTAINER_DELETED_EVENT, pod2Id);
        }

        // a daemon stopping ends the open streams as UNAVAILABLE instead of waiting for them
        long stopping = System.nanoTime();
        daemon.close();
        long tookMillis = (System.nanoTime() - stopping) / 1_000_000;
        daemon = null;
        client = null;
        for (Subscriber s : List.of(first, second)) {
            Status ended = s.closed.get(10, TimeUnit.SECONDS);
            assertEquals(Status.Code.UNAVAILABLE, ended.getCode());
            assertTrue(String.valueOf(ended.getDescription()).contains("shutting down"), ended.toString());
        }
        assertTrue(tookMillis < 4000, "open event streams do not hold up the shutdown: " + tookMillis + " ms");
    }
}
