package io.crisp.core.events;

import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscriber's bounded queue of events. The consumer polls from one thread at a time; the hub
 * offers from any. Once ended (by the hub or by {@link #close}) nothing more is queued.
 */
public final class Subscription implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Subscription.class);

    /** Why a subscription ended. */
    public enum End {
        /** The consumer fell behind: its queue was full when an event came. */
        OVERFLOW,
        /** The hub closed. */
        SHUTDOWN,
        /** The consumer closed it. */
        CLOSED
    }

    /** How a subscription ended, with a message for the client. */
    public record Ended(End cause, String message) { }

    private final ContainerEvents hub;
    private final int capacity;
    private final ArrayBlockingQueue<ContainerEvent> queue;
    private final Runnable wakeup;
    private final AtomicReference<Ended> ended = new AtomicReference<>();

    Subscription(ContainerEvents hub, int capacity, Runnable wakeup) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        this.hub = hub;
        this.capacity = capacity;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.wakeup = wakeup;
    }

    /** The next queued event, or null when none waits or the subscription has ended. */
    public ContainerEvent poll() {
        return ended.get() == null ? queue.poll() : null;
    }

    /** Set once the subscription ended; then {@link #poll} answers null. */
    public Optional<Ended> ended() {
        return Optional.ofNullable(ended.get());
    }

    public int queued() {
        return queue.size();
    }

    /** Unsubscribes (the client went away); idempotent. */
    @Override
    public void close() {
        end(End.CLOSED, "closed by the subscriber");
    }

    void offer(ContainerEvent event) {
        if (ended.get() != null) {
            return;
        }
        if (queue.offer(event)) {
            wake();
        } else {
            end(End.OVERFLOW, String.format("event subscriber dropped: it fell behind by more than %d events (queue full at the %s event of %s)",
                    capacity, event.type(), event.containerId()));
        }
    }

    void end(End cause, String message) {
        if (!ended.compareAndSet(null, new Ended(cause, message))) {
            return;
        }
        hub.remove(this);
        queue.clear();
        if (cause == End.OVERFLOW) {
            log.warn("Container events: {}", message);
        }
        if (cause != End.CLOSED) {
            wake();
        }
    }

    private void wake() {
        try {
            wakeup.run();
        } catch (RuntimeException e) {
            log.warn("Container events: waking a subscriber failed: {}", e.toString());
        }
    }
}
