package io.crisp.core.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.events.ContainerEvents;
import io.crisp.core.events.api.ContainerEventType;
import io.crisp.cri.v1.ContainerEventResponse;
import io.crisp.cri.v1.GetEventsRequest;
import io.crisp.cri.v1.RuntimeServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GetContainerEvents over an in-process channel: fan-out, flow control, drop on overflow, cancel, shutdown. */
final class ContainerEventStreamsTest {
    private static final int CAPACITY = 5;

    private final ContainerEvents hub = new ContainerEvents(pod -> Optional.empty(), pod -> List.of());
    private final ContainerEventStreams streams = new ContainerEventStreams(hub, CAPACITY);
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void serve() throws IOException {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name)
                .addService(new RuntimeServiceImpl(new RuntimeInfoRpcs(null, null, streams))).build().start();
        channel = InProcessChannelBuilder.forName(name).build();
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.shutdownNow();
        streams.close();
    }

    /** A client that takes messages only when asked to ({@link #request}). */
    private static final class Client implements ClientResponseObserver<GetEventsRequest, ContainerEventResponse> {
        final BlockingQueue<ContainerEventResponse> events = new LinkedBlockingQueue<>();
        final CompletableFuture<Status> closed = new CompletableFuture<>();
        private final boolean autoRequest;
        volatile ClientCallStreamObserver<GetEventsRequest> call;

        Client(boolean autoRequest) {
            this.autoRequest = autoRequest;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<GetEventsRequest> requestStream) {
            call = requestStream;
            if (!autoRequest) {
                requestStream.disableAutoRequestWithInitial(0);
            }
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

        ContainerEventResponse next() throws InterruptedException {
            ContainerEventResponse e = events.poll(10, TimeUnit.SECONDS);
            assertNotNull(e, "no event within 10 s");
            return e;
        }
    }

    private Client subscribe(boolean autoRequest) throws InterruptedException {
        int before = hub.subscriberCount();
        Client client = new Client(autoRequest);
        RuntimeServiceGrpc.newStub(channel).getContainerEvents(GetEventsRequest.getDefaultInstance(), client);
        waitFor(() -> hub.subscriberCount() == before + 1, "the subscription");
        return client;
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(10);
        }
    }

    @Test
    void everySubscriberGetsTheEventsInOrder() throws Exception {
        Client a = subscribe(true);
        Client b = subscribe(true);
        hub.changed(ContainerEventType.CREATED, "c1", "p1");
        hub.changed(ContainerEventType.STARTED, "c1", "p1");
        hub.changed(ContainerEventType.STOPPED, "c1", "p1");
        hub.changed(ContainerEventType.DELETED, "c1", "p1");
        for (Client c : List.of(a, b)) {
            assertEquals(io.crisp.cri.v1.ContainerEventType.CONTAINER_CREATED_EVENT, c.next().getContainerEventType());
            assertEquals(io.crisp.cri.v1.ContainerEventType.CONTAINER_STARTED_EVENT, c.next().getContainerEventType());
            assertEquals(io.crisp.cri.v1.ContainerEventType.CONTAINER_STOPPED_EVENT, c.next().getContainerEventType());
            ContainerEventResponse deleted = c.next();
            assertEquals(io.crisp.cri.v1.ContainerEventType.CONTAINER_DELETED_EVENT, deleted.getContainerEventType());
            assertEquals("c1", deleted.getContainerId());
            assertTrue(deleted.getCreatedAt() > 0);
        }
    }

    @Test
    void aClientThatDoesNotReadIsDroppedWithResourceExhaustedAndTheOthersGoOn() throws Exception {
        Client stalled = subscribe(false);
        Client reader = subscribe(true);
        for (int i = 0; i <= CAPACITY + 1; i++) {
            hub.changed(ContainerEventType.CREATED, "c" + i, "p1");
            assertEquals("c" + i, reader.next().getContainerId());
        }
        Status status = stalled.closed.get(10, TimeUnit.SECONDS);
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode());
        assertTrue(status.getDescription().contains("fell behind by more than " + CAPACITY + " events"), status.getDescription());
        assertEquals(1, hub.subscriberCount());
        hub.changed(ContainerEventType.STARTED, "c0", "p1");
        assertEquals(io.crisp.cri.v1.ContainerEventType.CONTAINER_STARTED_EVENT, reader.next().getContainerEventType());
        assertTrue(!reader.closed.isDone());
    }

    @Test
    void aSlowClientGetsEverythingOnceItAsksWithinItsQueue() throws Exception {
        Client slow = subscribe(false);
        for (int i = 0; i < CAPACITY; i++) {
            hub.changed(ContainerEventType.CREATED, "c" + i, "p1");
        }
        slow.call.request(CAPACITY);
        for (int i = 0; i < CAPACITY; i++) {
            assertEquals("c" + i, slow.next().getContainerId());
        }
        assertTrue(!slow.closed.isDone());
    }

    @Test
    void cancellingUnsubscribes() throws Exception {
        Client a = subscribe(true);
        subscribe(true);
        a.call.cancel("done", null);
        waitFor(() -> hub.subscriberCount() == 1, "the cancelled subscriber to go");
    }

    @Test
    void closingEndsStreamsAsUnavailable() throws Exception {
        Client a = subscribe(true);
        streams.close();
        assertEquals(Status.Code.UNAVAILABLE, a.closed.get(10, TimeUnit.SECONDS).getCode());
    }
}
