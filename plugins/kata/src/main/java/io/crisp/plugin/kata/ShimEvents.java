package io.crisp.plugin.kata;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import com.google.protobuf.InvalidProtocolBufferException;
import io.crisp.plugin.kata.proto.events.ForwardRequest;
import io.crisp.plugin.kata.proto.events.TaskExit;
import io.crisp.plugin.kata.proto.events.TaskOOM;
import io.crisp.ttrpc.TtrpcServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives the events shims publish. containerd 1.6+ shims (and Kata 2/3) send each event to
 * {@code TTRPC_ADDRESS} as {@code containerd.services.events.ttrpc.v1.Events/Forward}; this serves
 * that method on a socket in the handler's state directory, which every shim of the handler is
 * started with. Shims retry and reconnect, so events published while the daemon was down arrive
 * once it listens again. Exits of a task's init process and OOM kills are passed on; other events
 * (create, start, exec, delete) say nothing the backend does not already know.
 */
final class ShimEvents implements AutoCloseable {
    static final String FORWARD = "containerd.services.events.ttrpc.v1.Events/Forward";
    private static final Logger LOG = LoggerFactory.getLogger(ShimEvents.class);

    /** Where events go; called on the receiving thread, must return quickly. */
    interface Listener {
        void taskExited(String containerId, int exitStatus, Instant exitedAt);

        void oomKilled(String containerId);
    }

    private final TtrpcServer server;

    private ShimEvents(TtrpcServer server) {
        this.server = server;
    }

    static ShimEvents listen(Path socket, Listener listener) throws IOException {
        requireNonNull(listener, "listener is null");
        return new ShimEvents(TtrpcServer.start(socket, Map.of(FORWARD, payload -> {
            dispatch(ForwardRequest.parseFrom(payload), listener);
            return Empty.getDefaultInstance().toByteArray();
        })));
    }

    Path socket() {
        return server.socket();
    }

    /** Handles one forwarded envelope; unknown event types are ignored. */
    static void dispatch(ForwardRequest request, Listener listener) throws InvalidProtocolBufferException {
        Any event = request.getEnvelope().getEvent();
        String type = typeName(event.getTypeUrl());
        if (type.equals(TaskExit.getDescriptor().getFullName())) {
            TaskExit exit = TaskExit.parseFrom(event.getValue());
            // Exits of exec'd processes carry the exec id; only the container's own process counts.
            if (exit.getId().isEmpty() || exit.getId().equals(exit.getContainerId())) {
                listener.taskExited(exit.getContainerId(), exit.getExitStatus(), Timestamps.instant(exit.getExitedAt()));
            }
        } else if (type.equals(TaskOOM.getDescriptor().getFullName())) {
            listener.oomKilled(TaskOOM.parseFrom(event.getValue()).getContainerId());
        } else {
            LOG.trace("shim event {} on {}", type, request.getEnvelope().getTopic());
        }
    }

    /**
     * The message name an Any holds: containerd writes bare full names; a {@code host/} prefix, as
     * protobuf's Any.pack adds, is tolerated. Shared with {@link ShimStats}.
     */
    static String typeName(String typeUrl) {
        int slash = typeUrl.lastIndexOf('/');
        return slash < 0 ? typeUrl : typeUrl.substring(slash + 1);
    }

    @Override
    public void close() {
        server.close();
    }
}
