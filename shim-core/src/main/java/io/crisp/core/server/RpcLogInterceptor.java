package io.crisp.core.server;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One debug line per RPC with its status and duration, for every method, implemented or not.
 * Failures other than NOT_FOUND and UNIMPLEMENTED are logged with their message: at WARN when the
 * node failed (INTERNAL, UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED), at INFO when the
 * request did (INVALID_ARGUMENT, FAILED_PRECONDITION, ALREADY_EXISTS, ...).
 */
public final class RpcLogInterceptor implements ServerInterceptor {
    private static final Logger log = LoggerFactory.getLogger("io.crisp.rpc");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        long start = System.nanoTime();
        String method = call.getMethodDescriptor().getBareMethodName();
        return next.startCall(new SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                long micros = (System.nanoTime() - start) / 1000;
                if (status.isOk() || status.getCode() == Status.Code.NOT_FOUND || status.getCode() == Status.Code.UNIMPLEMENTED) {
                    if (log.isDebugEnabled()) {
                        log.debug("{} {} in {} us{}", method, status.getCode(), micros,
                                status.isOk() ? "" : ": " + status.getDescription());
                    }
                } else if (serverSide(status.getCode())) {
                    log.warn("{} {} in {} us: {}", method, status.getCode(), micros, status.getDescription());
                } else {
                    log.info("{} {} in {} us: {}", method, status.getCode(), micros, status.getDescription());
                }
                super.close(status, trailers);
            }
        }, headers);
    }

    /** Failures of the node, not of the request: worth a WARN (a caller's mistake stays at INFO). */
    static boolean serverSide(Status.Code code) {
        return code == Status.Code.INTERNAL || code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED
                || code == Status.Code.RESOURCE_EXHAUSTED || code == Status.Code.UNKNOWN;
    }
}
