package io.crisp.core.server;

import io.crisp.core.metrics.RuntimeMetrics;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Times every RPC, implemented or not, into {@code crisp_rpc_duration_seconds{rpc,code,handler}} and
 * counts the ones that fail into {@code crisp_rpc_errors_total}. {@code handler} is set for
 * RunPodSandbox only (the request's runtime_handler, the default handler when empty), where it costs
 * nothing: the request is at hand. Lives here, not in core.metrics, as only the RPC layer sees gRPC.
 */
public final class RpcMetricsInterceptor implements ServerInterceptor {
    private final RuntimeMetrics metrics;

    public RpcMetricsInterceptor(RuntimeMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        long start = System.nanoTime();
        String rpc = call.getMethodDescriptor().getBareMethodName();
        String[] handler = {""};
        ServerCall.Listener<Q> listener = next.startCall(new SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                metrics.rpcCompleted(rpc == null ? "" : rpc, status.getCode().name(), handler[0], System.nanoTime() - start);
                super.close(status, trailers);
            }
        }, headers);
        if (!"RunPodSandbox".equals(rpc)) {
            return listener;
        }
        return new SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                if (message instanceof RunPodSandboxRequest request) {
                    handler[0] = metrics.handlerName(request.getRuntimeHandler());
                }
                super.onMessage(message);
            }
        };
    }
}
