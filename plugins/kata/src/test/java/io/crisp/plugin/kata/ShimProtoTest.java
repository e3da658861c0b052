package io.crisp.plugin.kata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.crisp.plugin.kata.proto.cgroups.v1.MemoryStat;
import io.crisp.plugin.kata.proto.events.Envelope;
import io.crisp.plugin.kata.proto.events.EventsServiceProto;
import io.crisp.plugin.kata.proto.events.ForwardRequest;
import io.crisp.plugin.kata.proto.events.TaskExit;
import io.crisp.plugin.kata.proto.events.TaskOOM;
import io.crisp.plugin.kata.proto.runc.Options;
import io.crisp.plugin.kata.proto.task.CreateTaskRequest;
import io.crisp.plugin.kata.proto.task.KillRequest;
import io.crisp.plugin.kata.proto.task.ShimProto;
import io.crisp.plugin.kata.proto.task.StateResponse;
import io.crisp.plugin.kata.proto.types.Mount;
import io.crisp.plugin.kata.proto.types.Status;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the hand-written shim v2 protos must get right on the wire: names, methods, field numbers. */
final class ShimProtoTest {

    @Test
    void fullNamesMatchTheAnyTypeUrlsShimsUse() {
        assertEquals("containerd.events.TaskExit", TaskExit.getDescriptor().getFullName());
        assertEquals("containerd.events.TaskOOM", TaskOOM.getDescriptor().getFullName());
        assertEquals("io.containerd.cgroups.v1.Metrics",
                io.crisp.plugin.kata.proto.cgroups.v1.Metrics.getDescriptor().getFullName());
        assertEquals("io.containerd.cgroups.v2.Metrics",
                io.crisp.plugin.kata.proto.cgroups.v2.Metrics.getDescriptor().getFullName());
        assertEquals("containerd.runc.v1.Options", Options.getDescriptor().getFullName());
        assertEquals("runtimeoptions.v1.Options",
                io.crisp.plugin.kata.proto.runtimeoptions.Options.getDescriptor().getFullName());
        assertEquals("containerd.types.Mount", Mount.getDescriptor().getFullName());
        assertEquals("containerd.v1.types.Status", Status.getDescriptor().getFullName());
        assertEquals("containerd.services.events.ttrpc.v1.Envelope", Envelope.getDescriptor().getFullName());
    }

    @Test
    void taskServiceHasTheSeventeenShimMethods() {
        ServiceDescriptor task = ShimProto.getDescriptor().findServiceByName("Task");
        assertEquals("containerd.task.v2.Task", task.getFullName());
        String empty = "google.protobuf.Empty";
        Map<String, List<String>> expected = new LinkedHashMap<>();
        expected.put("State", List.of("StateRequest", "StateResponse"));
        expected.put("Create", List.of("CreateTaskRequest", "CreateTaskResponse"));
        expected.put("Start", List.of("StartRequest", "StartResponse"));
        expected.put("Delete", List.of("DeleteRequest", "DeleteResponse"));
        expected.put("Pids", List.of("PidsRequest", "PidsResponse"));
        expected.put("Pause", List.of("PauseRequest", empty));
        expected.put("Resume", List.of("ResumeRequest", empty));
        expected.put("Checkpoint", List.of("CheckpointTaskRequest", empty));
        expected.put("Kill", List.of("KillRequest", empty));
        expected.put("Exec", List.of("ExecProcessRequest", empty));
        expected.put("ResizePty", List.of("ResizePtyRequest", empty));
        expected.put("CloseIO", List.of("CloseIORequest", empty));
        expected.put("Update", List.of("UpdateTaskRequest", empty));
        expected.put("Wait", List.of("WaitRequest", "WaitResponse"));
        expected.put("Stats", List.of("StatsRequest", "StatsResponse"));
        expected.put("Connect", List.of("ConnectRequest", "ConnectResponse"));
        expected.put("Shutdown", List.of("ShutdownRequest", empty));

        Map<String, List<String>> actual = new LinkedHashMap<>();
        for (MethodDescriptor m : task.getMethods()) {
            actual.put(m.getName(), List.of(shortName(m.getInputType().getFullName()),
                    shortName(m.getOutputType().getFullName())));
        }
        assertEquals(expected, actual);

        ServiceDescriptor events = EventsServiceProto.getDescriptor().findServiceByName("Events");
        assertEquals("containerd.services.events.ttrpc.v1.Events", events.getFullName());
        MethodDescriptor forward = events.findMethodByName("Forward");
        assertEquals(ForwardRequest.getDescriptor(), forward.getInputType());
        assertEquals("google.protobuf.Empty", forward.getOutputType().getFullName());
    }

    @Test
    void killRequestBytes() throws InvalidProtocolBufferException {
        // id (1, string) "c1"; signal (3, varint) 9; all (4, varint) true.
        byte[] wire = bytes(0x0A, 2, "c1", 0x18, 9, 0x20, 1);
        KillRequest kill = KillRequest.newBuilder().setId("c1").setSignal(9).setAll(true).build();
        assertArrayEquals(wire, kill.toByteArray());
        assertEquals(kill, KillRequest.parseFrom(wire));
    }

    @Test
    void taskExitBytes() throws InvalidProtocolBufferException {
        byte[] wire = taskExitWire();
        TaskExit exit = TaskExit.newBuilder().setContainerId("c1").setId("c1").setPid(42).setExitStatus(137).build();
        assertArrayEquals(wire, exit.toByteArray());
        assertEquals(exit, TaskExit.parseFrom(wire));
    }

    @Test
    void forwardedEventBytes() throws InvalidProtocolBufferException {
        // Any: type_url (1) is the bare full name, value (2) the TaskExit above (13 bytes).
        byte[] any = bytes(0x0A, 26, "containerd.events.TaskExit", 0x12, 13, taskExitWire());
        // Envelope: timestamp (1) {seconds (1) = 1}, namespace (2), topic (3), event (4).
        byte[] envelope = bytes(0x0A, 2, 0x08, 1, 0x12, 6, "k8s.io", 0x1A, 11, "/tasks/exit", 0x22, any.length, any);
        byte[] wire = bytes(0x0A, envelope.length, envelope);

        TaskExit exit = TaskExit.newBuilder().setContainerId("c1").setId("c1").setPid(42).setExitStatus(137).build();
        ForwardRequest forward = ForwardRequest.newBuilder()
                .setEnvelope(Envelope.newBuilder()
                        .setTimestamp(Timestamp.newBuilder().setSeconds(1))
                        .setNamespace("k8s.io")
                        .setTopic("/tasks/exit")
                        .setEvent(Any.newBuilder()
                                .setTypeUrl(TaskExit.getDescriptor().getFullName())
                                .setValue(exit.toByteString())))
                .build();
        assertArrayEquals(wire, forward.toByteArray());

        Any event = ForwardRequest.parseFrom(wire).getEnvelope().getEvent();
        assertEquals(exit, TaskExit.parseFrom(event.getValue()));
        // containerd's type URLs carry no "type.googleapis.com/" prefix, and protobuf-java's
        // Any.is()/unpack() want one: backends must match the type URL string themselves.
        assertFalse(event.is(TaskExit.class));
        assertTrue(Any.pack(exit).getTypeUrl().endsWith("/containerd.events.TaskExit"));
    }

    @Test
    void fieldNumbersThatAreEasyToGetWrong() throws InvalidProtocolBufferException {
        // CreateTaskRequest.rootfs is 3 and options 10; a Mount's options are 4.
        CreateTaskRequest create = CreateTaskRequest.newBuilder()
                .addRootfs(Mount.newBuilder().setType("bind").addOptions("ro"))
                .setOptions(Any.newBuilder().setTypeUrl("x"))
                .build();
        byte[] mount = bytes(0x0A, 4, "bind", 0x22, 2, "ro");
        assertArrayEquals(bytes(0x1A, mount.length, mount, 0x52, 3, 0x0A, 1, "x"), create.toByteArray());

        // StateResponse.status is the containerd.v1.types.Status enum at 4; exec_id comes last, at 11.
        StateResponse state = StateResponse.newBuilder().setStatus(Status.STOPPED).setExecId("e").build();
        assertArrayEquals(bytes(0x20, 3, 0x5A, 1, "e"), state.toByteArray());

        // cgroup v1 MemoryStat: usage is a MemoryEntry at 33 (two-byte tag 0x8A 0x02).
        MemoryStat memory = MemoryStat.newBuilder()
                .setUsage(io.crisp.plugin.kata.proto.cgroups.v1.MemoryEntry.newBuilder().setUsage(5))
                .build();
        assertArrayEquals(bytes(0x8A, 0x02, 2, 0x10, 5), memory.toByteArray());

        // runc Options: systemd_cgroup is 9, after criu_path at 8.
        assertArrayEquals(bytes(0x48, 1), Options.newBuilder().setSystemdCgroup(true).build().toByteArray());
    }

    private static byte[] taskExitWire() {
        // container_id (1) "c1"; id (2) "c1"; pid (3) 42; exit_status (4) 137 = varint 0x89 0x01.
        return bytes(0x0A, 2, "c1", 0x12, 2, "c1", 0x18, 42, 0x20, 0x89, 0x01);
    }

    /** Concatenates bytes given as ints (0-255), ASCII strings and byte arrays. */
    private static byte[] bytes(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object part : parts) {
            if (part instanceof Integer i) {
                if (i < 0 || i > 255) {
                    throw new IllegalArgumentException("not a byte: " + i);
                }
                out.write(i);
            } else if (part instanceof String s) {
                out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
            } else {
                out.writeBytes((byte[]) part);
            }
        }
        return out.toByteArray();
    }

    private static String shortName(String fullName) {
        return fullName.startsWith("containerd.task.v2.") ? fullName.substring("containerd.task.v2.".length()) : fullName;
    }
}
