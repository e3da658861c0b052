package io.crisp.core.runtime;

import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.model.ExitStatus;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event sink every backend gets. Backends are created before the services that act on their
 * events (a handler must exist before pods can be recovered onto it), so events that arrive before
 * {@link #deliverTo} are queued and handed over then, in order. Never throws to a backend.
 */
public final class EventRouter implements ContainerEventSink {
    private static final Logger log = LoggerFactory.getLogger(EventRouter.class);

    private final List<Runnable> early = new ArrayList<>();
    private ContainerEventSink target;

    @Override
    public void exited(String containerId, ExitStatus status) {
        dispatch(() -> target.exited(containerId, status));
    }

    @Override
    public void oomKilled(String containerId) {
        dispatch(() -> target.oomKilled(containerId));
    }

    /** Sets the receiver and delivers what was queued. */
    public void deliverTo(ContainerEventSink receiver) {
        List<Runnable> queued;
        synchronized (this) {
            target = receiver;
            queued = new ArrayList<>(early);
            early.clear();
        }
        queued.forEach(EventRouter::safely);
    }

    private void dispatch(Runnable event) {
        synchronized (this) {
            if (target == null) {
                early.add(event);
                return;
            }
        }
        safely(event);
    }

    private static void safely(Runnable event) {
        try {
            event.run();
        } catch (RuntimeException e) {
            log.error("Handling a container event failed", e);
        }
    }
}
