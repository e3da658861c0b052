package io.crisp.plugin.kata;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Empty;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.crisp.plugin.kata.proto.task.ConnectRequest;
import io.crisp.plugin.kata.proto.task.ConnectResponse;
import io.crisp.plugin.kata.proto.task.CreateTaskRequest;
import io.crisp.plugin.kata.proto.task.CreateTaskResponse;
import io.crisp.plugin.kata.proto.task.DeleteRequest;
import io.crisp.plugin.kata.proto.task.DeleteResponse;
import io.crisp.plugin.kata.proto.task.ExecProcessRequest;
import io.crisp.plugin.kata.proto.task.KillRequest;
import io.crisp.plugin.kata.proto.task.CloseIORequest;
import io.crisp.plugin.kata.proto.task.ResizePtyRequest;
import io.crisp.plugin.kata.proto.task.ShutdownRequest;
import io.crisp.plugin.kata.proto.task.StartRequest;
import io.crisp.plugin.kata.proto.task.StartResponse;
import io.crisp.plugin.kata.proto.task.StateRequest;
import io.crisp.plugin.kata.proto.task.StateResponse;
import io.crisp.plugin.kata.proto.task.StatsRequest;
import io.crisp.plugin.kata.proto.task.StatsResponse;
import io.crisp.plugin.kata.proto.task.UpdateTaskRequest;
import io.crisp.plugin.kata.proto.task.WaitRequest;
import io.crisp.plugin.kata.proto.task.WaitResponse;
import io.crisp.ttrpc.Code;
import io.crisp.ttrpc.TtrpcClient;
import io.crisp.ttrpc.TtrpcException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The shim v2 task service ({@code containerd.task.v2.Task}) over one ttrpc connection: one typed
 * method per RPC. Calls return the shim's answer or throw {@link TtrpcException}; the backend turns
 * those into BackendExceptions. Thread-safe: calls share the connection.
 */
final class TaskClient implements AutoCloseable {
    static final String SERVICE = "containerd.task.v2.Task";
    /** Most calls are quick; a VM runtime's Create boots the VM and may take long. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    static final Duration CREATE_TIMEOUT = Duration.ofMinutes(2);

    private final TtrpcClient ttrpc;

    TaskClient(TtrpcClient ttrpc) {
        this.ttrpc = requireNonNull(ttrpc, "ttrpc is null");
    }

    boolean isOpen() {
        return ttrpc.isOpen();
    }

    CompletableFuture<Void> onClose() {
        return ttrpc.onClose();
    }

    CreateTaskResponse create(CreateTaskRequest request) {
        return call("Create", request, CreateTaskResponse.parser(), CREATE_TIMEOUT);
    }

    StartResponse start(String id, String execId) {
        return call("Start", StartRequest.newBuilder().setId(id).setExecId(execId).build(), StartResponse.parser(),
                CREATE_TIMEOUT);
    }

    DeleteResponse delete(String id, String execId) {
        return call("Delete", DeleteRequest.newBuilder().setId(id).setExecId(execId).build(), DeleteResponse.parser(),
                CALL_TIMEOUT);
    }

    void exec(ExecProcessRequest request) {
        call("Exec", request, Empty.parser(), CALL_TIMEOUT);
    }

    void resizePty(String id, String execId, int width, int height) {
        call("ResizePty", ResizePtyRequest.newBuilder().setId(id).setExecId(execId).setWidth(width).setHeight(height)
                .build(), Empty.parser(), CALL_TIMEOUT);
    }

    void closeStdin(String id, String execId) {
        call("CloseIO", CloseIORequest.newBuilder().setId(id).setExecId(execId).setStdin(true).build(), Empty.parser(),
                CALL_TIMEOUT);
    }

    StateResponse state(String id, String execId) {
        return call("State", StateRequest.newBuilder().setId(id).setExecId(execId).build(), StateResponse.parser(),
                CALL_TIMEOUT);
    }

    void kill(String id, String execId, int signal, boolean all) {
        call("Kill", KillRequest.newBuilder().setId(id).setExecId(execId).setSignal(signal).setAll(all).build(),
                Empty.parser(), CALL_TIMEOUT);
    }

    /** Completes when the process exited; no deadline (it may run for months). */
    CompletableFuture<WaitResponse> waitAsync(String id, String execId) {
        byte[] request = WaitRequest.newBuilder().setId(id).setExecId(execId).build().toByteArray();
        return ttrpc.callAsync(SERVICE, "Wait", request, Duration.ZERO).thenApply(payload -> {
            try {
                return WaitResponse.parseFrom(payload);
            } catch (InvalidProtocolBufferException e) {
                throw new TtrpcException(Code.INTERNAL, "unreadable Wait response: " + e.getMessage(), e);
            }
        });
    }

    StatsResponse stats(String id) {
        return call("Stats", StatsRequest.newBuilder().setId(id).build(), StatsResponse.parser(), CALL_TIMEOUT);
    }

    void update(UpdateTaskRequest request) {
        call("Update", request, Empty.parser(), CALL_TIMEOUT);
    }

    ConnectResponse connect(String id) {
        return call("Connect", ConnectRequest.newBuilder().setId(id).build(), ConnectResponse.parser(), CALL_TIMEOUT);
    }

    /** Asks the shim to exit once it holds no more tasks; the connection then closes. */
    void shutdown(String id) {
        call("Shutdown", ShutdownRequest.newBuilder().setId(id).build(), Empty.parser(), CALL_TIMEOUT);
    }

    @Override
    public void close() {
        ttrpc.close();
    }

    private <T> T call(String method, MessageLite request, Parser<T> parser, Duration timeout) {
        return ttrpc.call(SERVICE, method, request, parser, timeout);
    }
}
