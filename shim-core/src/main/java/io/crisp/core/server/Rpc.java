package io.crisp.core.server;

import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;

/**
 * Runs one unary RPC: computes the response, completes the call, and turns any failure into a
 * status through {@link GrpcStatusMapper}. gRPC methods are one call to this, with no try/catch.
 */
public final class Rpc {
    private Rpc() {}

    public static <T> void unary(StreamObserver<T> observer, String rpc, Supplier<T> body) {
        T response;
        try {
            response = body.get();
        } catch (RuntimeException | LinkageError e) {
            observer.onError(GrpcStatusMapper.toStatus(rpc, e));
            return;
        }
        observer.onNext(response);
        observer.onCompleted();
    }
}
