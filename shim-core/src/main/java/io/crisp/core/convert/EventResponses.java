package io.crisp.core.convert;

import io.crisp.core.container.Container;
import io.crisp.core.events.ContainerEvent;
import io.crisp.cri.v1.ContainerEventResponse;
import io.crisp.cri.v1.ContainerEventType;
import java.util.Optional;

/** Core lifecycle events to CRI {@code GetContainerEvents} messages. */
public final class EventResponses {
    private EventResponses() {}

    /** The event with the pod's status and its containers' statuses as they were when it happened. */
    public static ContainerEventResponse toProto(ContainerEvent e) {
        ContainerEventResponse.Builder response = ContainerEventResponse.newBuilder()
                .setContainerId(e.containerId())
                .setContainerEventType(switch (e.type()) {
                    case CREATED -> ContainerEventType.CONTAINER_CREATED_EVENT;
                    case STARTED -> ContainerEventType.CONTAINER_STARTED_EVENT;
                    case STOPPED -> ContainerEventType.CONTAINER_STOPPED_EVENT;
                    case DELETED -> ContainerEventType.CONTAINER_DELETED_EVENT;
                })
                .setCreatedAt(e.createdAtNanos());
        e.pod().ifPresent(pod -> response.setPodSandboxStatus(SandboxResponses.status(pod, false, Optional.empty()).getStatus()));
        for (Container c : e.containers()) {
            response.addContainersStatuses(ContainerResponses.status(c, false, Optional.empty()).getStatus());
        }
        return response.build();
    }
}
