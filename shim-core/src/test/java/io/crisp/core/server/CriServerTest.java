package io.crisp.core.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ImageServiceGrpc;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.RuntimeServiceGrpc;
import io.crisp.cri.v1.VersionRequest;
import io.crisp.cri.v1.VersionResponse;
import io.grpc.BindableService;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server as the daemon starts it: listening before the pods are recovered, its methods bound
 * later. A real socket, a real client: what crictl or the kubelet would see connecting meanwhile.
 */
final class CriServerTest {
    @TempDir
    Path dir;

    private CriServer server;
    private final List<CriClient> clients = new ArrayList<>();

    @AfterEach
    void tearDown() {
        clients.forEach(CriClient::close);
        if (server != null) {
            server.close();
        }
    }

    private CriServer listen() {
        server = CriServer.listen(SocketFile.prepare(dir.resolve("crisp.sock")), CriClient.MAX_MESSAGE_SIZE,
                List.of(RuntimeServiceGrpc.getServiceDescriptor(), ImageServiceGrpc.getServiceDescriptor()), null);
        return server;
    }

    private CriClient client(Duration deadline) {
        CriClient client = CriClient.connect(dir.resolve("crisp.sock"), deadline);
        clients.add(client);
        return client;
    }

    /** A runtime service that answers Version only (the generated binding says UNIMPLEMENTED for the rest). */
    private static BindableService versionOnly(String name) {
        return () -> RuntimeServiceGrpc.bindService(new RuntimeServiceGrpc.AsyncService() {
            @Override
            public void version(VersionRequest request, StreamObserver<VersionResponse> response) {
                response.onNext(VersionResponse.newBuilder().setRuntimeName(name).setVersion("0.1.0").build());
                response.onCompleted();
            }
        });
    }

    private static CompletableFuture<VersionResponse> version(CriClient client) {
        return CompletableFuture.supplyAsync(() -> client.runtime().version(VersionRequest.newBuilder().setVersion("v1").build()));
    }

    private static Status.Code codeOf(CompletableFuture<?> call) throws InterruptedException {
        try {
            call.get(10, TimeUnit.SECONDS);
            return Status.Code.OK;
        } catch (ExecutionException e) {
            return Status.fromThrowable(e.getCause()).getCode();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the call did not end within 10 s", e);
        }
    }

    @Test
    void callsBeforeOpenWaitAndAreAnsweredOnceTheServicesAreBound() throws Exception {
        listen();
        CriClient client = client(Duration.ofSeconds(30));
        List<CompletableFuture<VersionResponse>> early = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            early.add(version(client));
        }
        Thread.sleep(300);
        early.forEach(call -> assertFalse(call.isDone(), "a call answered before the services were bound"));

        server.open(List.of(versionOnly("crisp-test")));

        for (CompletableFuture<VersionResponse> call : early) {
            assertEquals("crisp-test", call.get(10, TimeUnit.SECONDS).getRuntimeName());
        }
        assertEquals("crisp-test", version(client).get(10, TimeUnit.SECONDS).getRuntimeName(), "a call after the opening");
        StatusRuntimeException missing = assertThrows(StatusRuntimeException.class,
                () -> client.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNIMPLEMENTED, missing.getStatus().getCode());
    }

    @Test
    void aWaitingCallWhoseDeadlinePassesEndsThereAndTheServerGoesOn() throws Exception {
        listen();
        CompletableFuture<VersionResponse> impatient = version(client(Duration.ofMillis(200)));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, codeOf(impatient));

        server.open(List.of(versionOnly("crisp-test")));

        assertEquals("crisp-test", version(client(Duration.ofSeconds(10))).get(10, TimeUnit.SECONDS).getRuntimeName());
    }

    @Test
    void closingBeforeOpenEndsTheWaitingCallsUnavailableAtOnce() throws Exception {
        listen();
        CompletableFuture<VersionResponse> waiting = version(client(Duration.ofSeconds(60)));
        Thread.sleep(200);
        assertFalse(waiting.isDone());

        long started = System.nanoTime();
        server.close();
        server = null;

        assertEquals(Status.Code.UNAVAILABLE, codeOf(waiting));
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(4),
                "the close waited for the call (" + (System.nanoTime() - started) / 1_000_000 + " ms)");
    }
}
