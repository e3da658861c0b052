package io.crisp.core.events;

import static io.crisp.core.events.api.ContainerEventType.CREATED;
import static io.crisp.core.events.api.ContainerEventType.DELETED;
import static io.crisp.core.events.api.ContainerEventType.STARTED;
import static io.crisp.core.events.api.ContainerEventType.STOPPED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.events.api.ContainerEventType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

final class ContainerEventsTest {
    private final List<String> lookedUp = new ArrayList<>();
    private final ContainerEvents hub = new ContainerEvents(pod -> {
        lookedUp.add(pod);
        return Optional.empty();
    }, pod -> List.of());

    private static List<String> drain(Subscription s) {
        List<String> seen = new ArrayList<>();
        for (ContainerEvent e = s.poll(); e != null; e = s.poll()) {
            seen.add(e.containerId() + ":" + e.type());
        }
        return seen;
    }

    @Test
    void eventsArriveInPublishOrderWithTheirPodLookedUpAtPublishTime() {
        Subscription s = hub.subscribe(10, () -> { });
        long before = System.currentTimeMillis() * 1_000_000L - 1_000_000_000L;
        hub.changed(CREATED, "c1", "p1");
        hub.changed(STARTED, "c1", "p1");
        hub.changed(CREATED, "c2", "p1");
        hub.changed(STOPPED, "c1", "p1");
        hub.changed(DELETED, "c1", "p1");
        assertEquals(List.of("p1", "p1", "p1", "p1", "p1"), lookedUp);
        ContainerEvent first = s.poll();
        assertEquals(CREATED, first.type());
        assertTrue(first.createdAtNanos() > before, "created_at is Unix nanoseconds");
        assertEquals(List.of("c1:STARTED", "c2:CREATED", "c1:STOPPED", "c1:DELETED"), drain(s));
    }

    @Test
    void nothingIsLookedUpWithoutSubscribers() {
        hub.changed(CREATED, "c1", "p1");
        assertEquals(List.of(), lookedUp);
    }

    @Test
    void everySubscriberGetsEveryEventAndIsWokenForEach() {
        AtomicInteger wakeA = new AtomicInteger();
        AtomicInteger wakeB = new AtomicInteger();
        Subscription a = hub.subscribe(10, wakeA::incrementAndGet);
        Subscription b = hub.subscribe(10, wakeB::incrementAndGet);
        hub.changed(CREATED, "c1", "p1");
        hub.changed(STARTED, "c1", "p1");
        assertEquals(List.of("c1:CREATED", "c1:STARTED"), drain(a));
        assertEquals(List.of("c1:CREATED", "c1:STARTED"), drain(b));
        assertEquals(2, wakeA.get());
        assertEquals(2, wakeB.get());
        assertEquals(2, lookedUp.size(), "one snapshot per event, shared by the subscribers");
    }

    @Test
    void aSubscriberThatFallsBehindIsDroppedWhileTheOthersGoOn() {
        AtomicInteger slowWakes = new AtomicInteger();
        Subscription slow = hub.subscribe(3, slowWakes::incrementAndGet);
        Subscription fast = hub.subscribe(3, () -> { });
        for (int i = 0; i < 3; i++) {
            hub.changed(CREATED, "c" + i, "p1");
            assertEquals(1, drain(fast).size());
        }
        assertTrue(slow.ended().isEmpty());
        hub.changed(CREATED, "c3", "p1"); // the slow one's queue is full
        Subscription.Ended ended = slow.ended().orElseThrow();
        assertEquals(Subscription.End.OVERFLOW, ended.cause());
        assertTrue(ended.message().contains("more than 3 events") && ended.message().contains("c3"), ended.message());
        assertNull(slow.poll(), "a dropped subscriber gets nothing more, not even what was queued");
        assertEquals(4, slowWakes.get(), "woken for each event and once for the drop");
        assertEquals(List.of("c3:CREATED"), drain(fast));
        assertEquals(1, hub.subscriberCount());
        hub.changed(STARTED, "c3", "p1");
        assertEquals(List.of("c3:STARTED"), drain(fast));
        assertEquals(0, slow.queued());
    }

    @Test
    void anUnsubscribedSubscriberGetsNothingMoreAndIsNotWoken() {
        AtomicInteger wakes = new AtomicInteger();
        Subscription s = hub.subscribe(10, wakes::incrementAndGet);
        hub.changed(CREATED, "c1", "p1");
        s.close();
        s.close();
        hub.changed(STARTED, "c1", "p1");
        assertEquals(Subscription.End.CLOSED, s.ended().orElseThrow().cause());
        assertNull(s.poll());
        assertEquals(1, wakes.get());
        assertEquals(0, hub.subscriberCount());
    }

    @Test
    void publishingNeverThrowsIntoTheLifecycle() {
        ContainerEvents broken = new ContainerEvents(pod -> {
            throw new IllegalStateException("store broken");
        }, pod -> List.of());
        Subscription s = broken.subscribe(10, () -> { });
        broken.changed(CREATED, "c1", "p1");
        assertNull(s.poll());
        Subscription t = hub.subscribe(10, () -> {
            throw new IllegalStateException("wakeup broken");
        });
        hub.changed(CREATED, "c1", "p1");
        assertEquals(List.of("c1:CREATED"), drain(t));
    }

    @Test
    void closingTheHubEndsEveryoneAndLaterSubscribersAtOnce() {
        AtomicInteger wakes = new AtomicInteger();
        Subscription s = hub.subscribe(10, wakes::incrementAndGet);
        hub.close();
        assertEquals(Subscription.End.SHUTDOWN, s.ended().orElseThrow().cause());
        assertEquals(1, wakes.get());
        Subscription late = hub.subscribe(10, () -> { });
        assertEquals(Subscription.End.SHUTDOWN, late.ended().orElseThrow().cause());
        assertEquals(0, hub.subscriberCount());
    }

    @Test
    void eachContainersEventsStayInOrderUnderConcurrentPublishers() throws InterruptedException {
        Subscription s = hub.subscribe(10_000, () -> { });
        int threads = 4;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String id = "c" + t;
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 200; i++) {
                    hub.changed(CREATED, id, "p1");
                    hub.changed(STARTED, id, "p1");
                    hub.changed(STOPPED, id, "p1");
                    hub.changed(DELETED, id, "p1");
                }
            });
            thread.start();
            started.add(thread);
        }
        go.countDown();
        for (Thread thread : started) {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        }
        List<String> seen = drain(s);
        assertEquals(threads * 800, seen.size());
        for (int t = 0; t < threads; t++) {
            String prefix = "c" + t + ":";
            List<String> mine = seen.stream().filter(e -> e.startsWith(prefix)).map(e -> e.substring(prefix.length())).toList();
            for (int i = 0; i < mine.size(); i++) {
                assertEquals(ContainerEventType.values()[i % 4].name(), mine.get(i), "event " + i + " of " + prefix);
            }
        }
    }
}
