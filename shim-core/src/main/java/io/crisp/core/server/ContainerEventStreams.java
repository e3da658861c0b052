package io.crisp.core.server;

import io.crisp.core.convert.EventResponses;
import io.crisp.core.events.ContainerEvent;
import io.crisp.core.events.ContainerEvents;
import io.crisp.core.events.Subscription;
import io.crisp.cri.v1.ContainerEventResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves CRI {@code GetContainerEvents}: each call subscribes to the hub with a bounded queue, and
 * events go out as the client's transport is ready for them (gRPC flow control), on one delivery
 * thread shared by all subscribers, never on the thread that published. A subscriber whose queue
 * overflows ends with RESOURCE_EXHAUSTED, a daemon shutting down ends them with UNAVAILABLE, and a
 * client cancelling unsubscribes.
 */
public final class ContainerEventStreams implements AutoCloseable {
    private final ContainerEvents hub;
    private final int capacity;
    private final ExecutorService delivery = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "crisp-events");
        t.setDaemon(true);
        return t;
    });

    public ContainerEventStreams(ContainerEvents hub) {
        this(hub, ContainerEvents.DEFAULT_CAPACITY);
    }

    public ContainerEventStreams(ContainerEvents hub, int capacity) {
        this.hub = hub;
        this.capacity = capacity;
    }

    void serve(StreamObserver<ContainerEventResponse> observer) {
        new Stream((ServerCallStreamObserver<ContainerEventResponse>) observer).start();
    }

    /** Ends every stream (UNAVAILABLE) and lets the delivery thread finish sending that. */
    @Override
    public void close() {
        hub.close();
        delivery.shutdown();
    }

    /** One subscriber. All calls on the observer happen inside {@link #drain}, one at a time. */
    private final class Stream {
        private final ServerCallStreamObserver<ContainerEventResponse> call;
        /** Wake-ups not yet handled; a drain task runs while it is above zero. */
        private final AtomicInteger pending = new AtomicInteger();
        private volatile Subscription subscription;
        private boolean finished;

        Stream(ServerCallStreamObserver<ContainerEventResponse> call) {
            this.call = call;
        }

        void start() {
            // Both handlers must be set before the method returns; they run on the call's executor.
            call.setOnCancelHandler(() -> {
                Subscription s = subscription;
                if (s != null) {
                    s.close();
                }
            });
            call.setOnReadyHandler(this::wake);
            subscription = hub.subscribe(capacity, this::wake);
            wake();
        }

        private void wake() {
            if (pending.getAndIncrement() == 0) {
                try {
                    delivery.execute(this::drainAll);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    pending.set(0); // shutting down: the stream ends with the server
                }
            }
        }

        private void drainAll() {
            int missed = 1;
            do {
                drain();
                missed = pending.addAndGet(-missed);
            } while (missed != 0);
        }

        private void drain() {
            Subscription s = subscription;
            if (finished || s == null) {
                return;
            }
            try {
                if (call.isCancelled()) {
                    finished = true;
                    s.close();
                    return;
                }
                Optional<Subscription.Ended> ended = s.ended();
                if (ended.isPresent()) {
                    finished = true;
                    switch (ended.get().cause()) {
                        case OVERFLOW -> call.onError(Status.RESOURCE_EXHAUSTED.withDescription(ended.get().message()).asRuntimeException());
                        case SHUTDOWN -> call.onError(Status.UNAVAILABLE.withDescription(ended.get().message()).asRuntimeException());
                        case CLOSED -> { }
                    }
                    return;
                }
                while (call.isReady()) {
                    ContainerEvent event = s.poll();
                    if (event == null) {
                        return;
                    }
                    call.onNext(EventResponses.toProto(event));
                }
            } catch (RuntimeException e) {
                // The call went away under us (cancelled, transport closed): nothing more to send.
                finished = true;
                s.close();
            }
        }
    }
}
