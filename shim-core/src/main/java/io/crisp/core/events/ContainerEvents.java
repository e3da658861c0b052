package io.crisp.core.events;

import io.crisp.core.container.Container;
import io.crisp.core.container.ContainerStore;
import io.crisp.core.events.api.ContainerEventListener;
import io.crisp.core.events.api.ContainerEventType;
import io.crisp.core.sandbox.Sandbox;
import io.crisp.core.sandbox.SandboxStore;
import io.crisp.core.state.Ids;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub of container lifecycle events (CRI {@code GetContainerEvents}): the services report a
 * transition, the hub takes a snapshot of the pod and its containers and offers it to every
 * subscriber's bounded queue. Publishing never blocks and never throws: a subscriber whose queue
 * is full is ended (see {@link Subscription.End#OVERFLOW}) and the others go on.
 */
public final class ContainerEvents implements ContainerEventListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ContainerEvents.class);
    /** Events a subscriber may have queued before it is dropped. */
    public static final int DEFAULT_CAPACITY = 1000;

    private final Function<String, Optional<Sandbox>> pods;
    private final Function<String, List<Container>> containersOf;
    private final CopyOnWriteArrayList<Subscription> subscribers = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public ContainerEvents(SandboxStore pods, ContainerStore containers) {
        this(pods::find, containers::inSandbox);
    }

    /**
     * @param pods a pod's current record by id
     * @param containersOf the current records of a pod's containers by pod id
     */
    public ContainerEvents(Function<String, Optional<Sandbox>> pods, Function<String, List<Container>> containersOf) {
        this.pods = pods;
        this.containersOf = containersOf;
    }

    /**
     * A new subscriber, seeing events published from now on.
     *
     * @param capacity how many events may wait in its queue
     * @param wakeup called (on the publishing thread, so it must only hand off) after an event was
     *        queued or the subscription was ended by the hub
     */
    public Subscription subscribe(int capacity, Runnable wakeup) {
        Subscription s = new Subscription(this, capacity, wakeup);
        subscribers.add(s);
        if (closed) {
            s.end(Subscription.End.SHUTDOWN, "the runtime is shutting down");
        }
        return s;
    }

    public int subscriberCount() {
        return subscribers.size();
    }

    @Override
    public void changed(ContainerEventType type, String containerId, String sandboxId) {
        if (subscribers.isEmpty()) {
            return;
        }
        try {
            ContainerEvent event = new ContainerEvent(containerId, type, Ids.nowNanos(), pods.apply(sandboxId), containersOf.apply(sandboxId));
            for (Subscription s : subscribers) {
                s.offer(event);
            }
        } catch (RuntimeException e) {
            log.warn("Cannot publish the {} event of {}: {}", type, containerId, e.toString());
        }
    }

    /** Ends every subscription (they close as UNAVAILABLE); later subscribers end at once. */
    @Override
    public void close() {
        closed = true;
        for (Subscription s : subscribers) {
            s.end(Subscription.End.SHUTDOWN, "the runtime is shutting down");
        }
    }

    void remove(Subscription s) {
        subscribers.remove(s);
    }
}
