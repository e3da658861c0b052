package io.crisp.core.plugin;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.model.ExitStatus;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event sink a handler's plugin gets: its exits and OOM kills are handed to the core in the
 * order it reported them, on one thread of the handler's own (started when an event comes, gone
 * when idle). A plugin reports from inside a call (containerState finds the exit file) and that
 * call now runs on the handler's pool while the core's caller holds the container's lock: a
 * delivery on the plugin's thread would wait for that lock, and the caller for the call, until the
 * deadline. Delivered here, the event waits for the lock instead, and the plugin never blocks on
 * the core.
 */
final class OrderedEventSink implements ContainerEventSink {
    private static final Logger log = LoggerFactory.getLogger(OrderedEventSink.class);

    private final ContainerEventSink target;
    private final ExecutorService thread;

    OrderedEventSink(ContainerEventSink target, String handler) {
        this.target = requireNonNull(target, "target is null");
        ThreadPoolExecutor one = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "events-" + handler);
            t.setDaemon(true);
            return t;
        });
        one.allowCoreThreadTimeOut(true);
        this.thread = one;
    }

    @Override
    public void exited(String containerId, ExitStatus status) {
        deliver(() -> target.exited(containerId, status));
    }

    @Override
    public void oomKilled(String containerId) {
        deliver(() -> target.oomKilled(containerId));
    }

    private void deliver(Runnable event) {
        thread.execute(() -> {
            try {
                event.run();
            } catch (RuntimeException e) {
                log.error("Handling a container event failed", e);
            }
        });
    }
}
