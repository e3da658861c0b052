package io.crisp.plugin.kata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import com.google.protobuf.Message;
import com.google.protobuf.StringValue;
import com.google.protobuf.Timestamp;
import io.crisp.plugin.kata.proto.events.Envelope;
import io.crisp.plugin.kata.proto.events.ForwardRequest;
import io.crisp.plugin.kata.proto.events.TaskExit;
import io.crisp.plugin.kata.proto.events.TaskOOM;
import io.crisp.plugin.kata.proto.events.TaskStart;
import io.crisp.ttrpc.Code;
import io.crisp.ttrpc.TtrpcClient;
import io.crisp.ttrpc.TtrpcException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Events as a shim publishes them: ttrpc Forward calls on the handler's events socket. */
class ShimEventsTest {
    @TempDir
    Path dir;

    private final List<String> seen = new CopyOnWriteArrayList<>();
    private final ShimEvents.Listener listener = new ShimEvents.Listener() {
        @Override
        public void taskExited(String containerId, int exitStatus, Instant exitedAt) {
            seen.add("exit " + containerId + " " + exitStatus + " " + exitedAt);
        }

        @Override
        public void oomKilled(String containerId) {
            seen.add("oom " + containerId);
        }
    };

    @Test
    void passesOnInitExitsAndOomKillsOverARealSocket() throws Exception {
        try (ShimEvents events = ShimEvents.listen(dir.resolve("events.sock"), listener);
             TtrpcClient shim = TtrpcClient.connect(events.socket())) {
            forward(shim, "/tasks/oom", TaskOOM.newBuilder().setContainerId("c1").build());
            forward(shim, "/tasks/exit", TaskExit.newBuilder().setContainerId("c1").setId("c1").setPid(42).setExitStatus(137)
                    .setExitedAt(Timestamp.newBuilder().setSeconds(1_800_000_000L).setNanos(5)).build());
            // An exec'd process's exit names the exec, not the container: not the container's exit.
            forward(shim, "/tasks/exit", TaskExit.newBuilder().setContainerId("c1").setId("exec-1").setExitStatus(3).build());
            forward(shim, "/tasks/start", TaskStart.newBuilder().setContainerId("c1").setPid(42).build());
            assertEquals(List.of("oom c1", "exit c1 137 " + Instant.ofEpochSecond(1_800_000_000L, 5)), seen);
        }
    }

    @Test
    void answersAnUnreadableRequestWithAnErrorAndKeepsServing() throws Exception {
        try (ShimEvents events = ShimEvents.listen(dir.resolve("events.sock"), listener);
             TtrpcClient shim = TtrpcClient.connect(events.socket())) {
            TtrpcException e = assertThrows(TtrpcException.class, () -> shim.call("containerd.services.events.ttrpc.v1.Events",
                    "Forward", StringValue.of("not a ForwardRequest \u0000\u00ff"), Empty.parser(), Duration.ofSeconds(5)));
            assertEquals(Code.INTERNAL, e.code());
            forward(shim, "/tasks/oom", TaskOOM.newBuilder().setContainerId("c2").build());
            assertEquals(List.of("oom c2"), seen);
        }
    }

    @Test
    void aGoZeroExitTimeMeansNow() {
        Instant before = Instant.now();
        Instant at = Timestamps.instant(Timestamp.newBuilder().setSeconds(-62135596800L).build());
        assertEquals(true, !at.isBefore(before));
    }

    private static void forward(TtrpcClient shim, String topic, Message event) {
        ForwardRequest request = ForwardRequest.newBuilder().setEnvelope(Envelope.newBuilder().setNamespace("k8s.io").setTopic(topic)
                .setEvent(Any.newBuilder().setTypeUrl(event.getDescriptorForType().getFullName()).setValue(event.toByteString())))
                .build();
        shim.call("containerd.services.events.ttrpc.v1.Events", "Forward", request, Empty.parser(), Duration.ofSeconds(5));
    }
}
