package io.crisp.core.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.metrics.RuntimeMetrics;
import io.crisp.cri.v1.PodSandboxStatusRequest;
import io.crisp.cri.v1.PodSandboxStatusResponse;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.crisp.cri.v1.RunPodSandboxResponse;
import io.crisp.cri.v1.RuntimeServiceGrpc;
import io.crisp.cri.v1.VersionRequest;
import io.crisp.cri.v1.VersionResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

final class RpcMetricsInterceptorTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final RuntimeMetrics metrics = new RuntimeMetrics(registry, () -> "runc");
    private Server server;
    private ManagedChannel channel;
    private RuntimeServiceGrpc.RuntimeServiceBlockingStub stub;

    /** Version answers; PodSandboxStatus knows no pod; RunPodSandbox answers with the handler it was asked for. */
    static final class Service extends RuntimeServiceGrpc.RuntimeServiceImplBase {
        @Override
        public void version(VersionRequest request, StreamObserver<VersionResponse> response) {
            response.onNext(VersionResponse.newBuilder().setRuntimeName("crisp").build());
            response.onCompleted();
        }

        @Override
        public void podSandboxStatus(PodSandboxStatusRequest request, StreamObserver<PodSandboxStatusResponse> response) {
            response.onError(Status.NOT_FOUND.withDescription("no pod " + request.getPodSandboxId()).asRuntimeException());
        }

        @Override
        public void runPodSandbox(RunPodSandboxRequest request, StreamObserver<RunPodSandboxResponse> response) {
            response.onNext(RunPodSandboxResponse.newBuilder().setPodSandboxId("pod-" + request.getRuntimeHandler()).build());
            response.onCompleted();
        }
    }

    @BeforeEach
    void start() throws IOException {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(ServerInterceptors.intercept(new Service(), new RpcMetricsInterceptor(metrics))).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        stub = RuntimeServiceGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private Timer timer(String rpc, String code, String handler) {
        return registry.find(RuntimeMetrics.RPC_DURATION).tags("rpc", rpc, "code", code, "handler", handler).timer();
    }

    @Test
    void timesEachRpcByMethodAndCode() {
        stub.version(VersionRequest.getDefaultInstance());
        stub.version(VersionRequest.getDefaultInstance());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> stub.podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId("nope").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());

        assertEquals(2, timer("Version", "OK", "").count());
        assertEquals(1, timer("PodSandboxStatus", "NOT_FOUND", "").count());
        assertEquals(1.0, registry.find(RuntimeMetrics.RPC_ERRORS).tags("rpc", "PodSandboxStatus", "code", "NOT_FOUND").counter().count());
        assertNull(registry.find(RuntimeMetrics.RPC_ERRORS).tags("rpc", "Version").counter(), "OK is no error");
    }

    @Test
    void unimplementedRpcsAreTimedToo() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> stub.status(io.crisp.cri.v1.StatusRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        assertEquals(1, timer("Status", "UNIMPLEMENTED", "").count());
    }

    @Test
    void runPodSandboxIsLabelledWithItsHandlerAndTheDefaultForAnEmptyOne() {
        stub.runPodSandbox(RunPodSandboxRequest.newBuilder().setRuntimeHandler("kata").build());
        stub.runPodSandbox(RunPodSandboxRequest.getDefaultInstance());
        assertEquals(1, timer("RunPodSandbox", "OK", "kata").count());
        assertEquals(1, timer("RunPodSandbox", "OK", "runc").count());
    }

    @Test
    void prometheusTextNamesTheHistogramAndTheErrorCounter() {
        stub.version(VersionRequest.getDefaultInstance());
        assertThrows(StatusRuntimeException.class, () -> stub.podSandboxStatus(PodSandboxStatusRequest.getDefaultInstance()));
        String text = metrics.scrape(registry);
        assertTrue(text.contains("crisp_rpc_duration_seconds_bucket{code=\"OK\",handler=\"\",rpc=\"Version\",le=\"0.001\"}")
                || text.contains("crisp_rpc_duration_seconds_bucket{code=\"OK\",handler=\"\",le=\"0.001\",rpc=\"Version\"}"), text);
        assertTrue(text.contains("crisp_rpc_duration_seconds_count{code=\"NOT_FOUND\",handler=\"\",rpc=\"PodSandboxStatus\"} 1"), text);
        assertTrue(text.contains("crisp_rpc_errors_total{code=\"NOT_FOUND\",handler=\"\",rpc=\"PodSandboxStatus\"} 1"), text);
    }
}
