package io.crisp.core.server;

import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.util.function.Function;
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

    /**
     * {@code method} bound to {@code body}, a function from request to response run through
     * {@link #unary(StreamObserver, String, Supplier)} under the method's name (e.g. {@code RunPodSandbox}).
     */
    public static <Q, R> ServerMethodDefinition<Q, R> unary(MethodDescriptor<Q, R> method, Function<Q, R> body) {
        String rpc = method.getBareMethodName();
        return ServerMethodDefinition.create(method,
                ServerCalls.asyncUnaryCall((request, observer) -> unary(observer, rpc, () -> body.apply(request))));
    }
}
