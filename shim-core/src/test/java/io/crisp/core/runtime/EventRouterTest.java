package io.crisp.core.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.model.ExitStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

final class EventRouterTest {
    @Test
    void eventsBeforeTheReceiverExistsAreDeliveredInOrderOnceItDoes() {
        EventRouter router = new EventRouter();
        List<String> seen = new ArrayList<>();
        ContainerEventSink receiver = new ContainerEventSink() {
            @Override
            public void exited(String id, ExitStatus status) {
                if (id.equals("boom")) {
                    throw new IllegalStateException("a failing receiver must not reach the backend");
                }
                seen.add("exit " + id + " " + status.code());
            }

            @Override
            public void oomKilled(String id) {
                seen.add("oom " + id);
            }
        };
        router.oomKilled("a");
        router.exited("a", new ExitStatus(137, Instant.EPOCH, Optional.of("OOMKilled")));
        router.deliverTo(receiver);
        router.exited("boom", new ExitStatus(1, Instant.EPOCH, Optional.empty()));
        router.exited("b", new ExitStatus(0, Instant.EPOCH, Optional.empty()));
        assertEquals(List.of("oom a", "exit a 137", "exit b 0"), seen);
    }
}
