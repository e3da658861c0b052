package io.crisp.core.server;

import io.grpc.HandlerRegistry;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The server's methods, bound after the socket is served: the daemon listens from its start's first
 * steps, while plugins load and handlers recover their pods, so that a client connecting meanwhile
 * (the kubelet, crictl) is not refused and then left to its reconnect back-off. A call that arrives
 * before {@link #open} waits, holding no thread, and starts the moment the services are bound, as if
 * it had arrived then; its deadline still applies. After {@link #refuse} (a start that failed, a
 * shutdown) waiting and later calls end with the status given.
 */
final class LateBinding extends HandlerRegistry {
    private final Map<String, ServerMethodDefinition<?, ?>> waiting = new HashMap<>();
    private final CompletableFuture<Map<String, ServerMethodDefinition<?, ?>>> bound = new CompletableFuture<>();
    private final Executor starter;
    private volatile Map<String, ServerMethodDefinition<?, ?>> live;

    /**
     * @param services every service that {@link #open} will bind; calls to other methods are UNIMPLEMENTED
     * @param starter where waiting calls start once bound (the RPC pool): not the thread that opens
     */
    LateBinding(List<ServiceDescriptor> services, Executor starter) {
        this.starter = starter;
        for (ServiceDescriptor service : services) {
            for (MethodDescriptor<?, ?> method : service.getMethods()) {
                waiting.put(method.getFullMethodName(), held(method));
            }
        }
    }

    private <Q, R> ServerMethodDefinition<Q, R> held(MethodDescriptor<Q, R> method) {
        return ServerMethodDefinition.create(method, this::startLater);
    }

    @Override
    public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
        Map<String, ServerMethodDefinition<?, ?>> methods = live;
        return methods != null ? methods.get(methodName) : waiting.get(methodName);
    }

    /** Binds the services: waiting calls start, later ones go straight to them. Once only. */
    void open(List<ServerServiceDefinition> services) {
        Map<String, ServerMethodDefinition<?, ?>> methods = new HashMap<>();
        for (ServerServiceDefinition service : services) {
            for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
                methods.put(method.getMethodDescriptor().getFullMethodName(), method);
            }
        }
        live = Map.copyOf(methods);
        bound.complete(live);
    }

    /** Ends waiting calls (and any that still arrive before the server stops) with {@code status}. */
    void refuse(Status status) {
        bound.completeExceptionally(status.asRuntimeException());
    }

    private <Q, R> ServerCall.Listener<Q> startLater(ServerCall<Q, R> call, Metadata headers) {
        Held<Q> held = new Held<>();
        bound.whenCompleteAsync((methods, failure) -> held.start(() -> {
            if (failure != null) {
                call.close(Status.fromThrowable(failure), new Metadata());
                return null;
            }
            @SuppressWarnings("unchecked")
            ServerMethodDefinition<Q, R> method = (ServerMethodDefinition<Q, R>) methods.get(call.getMethodDescriptor().getFullMethodName());
            if (method == null) {
                call.close(Status.UNIMPLEMENTED.withDescription("method " + call.getMethodDescriptor().getFullMethodName()
                        + " is not served"), new Metadata());
                return null;
            }
            return method.getServerCallHandler().startCall(call, headers);
        }), starter);
        return held;
    }

    /**
     * A call's listener until its handler starts: events that arrive meanwhile are kept and handed
     * over in order; a call cancelled before it starts never starts.
     */
    static final class Held<Q> extends ServerCall.Listener<Q> {
        private List<Consumer<ServerCall.Listener<Q>>> pending = new ArrayList<>();
        private ServerCall.Listener<Q> delegate;
        private boolean cancelled;

        /**
         * Starts the real handler ({@code start} gives its listener, or null when it closed the call)
         * unless the call was cancelled meanwhile; what arrived meanwhile goes to it, or nowhere.
         */
        void start(Supplier<ServerCall.Listener<Q>> start) {
            boolean gone;
            synchronized (this) {
                gone = cancelled;
            }
            ServerCall.Listener<Q> real = gone ? null : start.get();
            ServerCall.Listener<Q> to = real == null ? new ServerCall.Listener<>() { } : real;
            while (true) {
                List<Consumer<ServerCall.Listener<Q>>> events;
                synchronized (this) {
                    if (pending.isEmpty()) {
                        delegate = to;
                        return;
                    }
                    events = pending;
                    pending = new ArrayList<>();
                }
                events.forEach(event -> event.accept(to));
            }
        }

        private void deliver(Consumer<ServerCall.Listener<Q>> event) {
            ServerCall.Listener<Q> to;
            synchronized (this) {
                to = delegate;
                if (to == null) {
                    pending.add(event);
                    return;
                }
            }
            event.accept(to);
        }

        @Override
        public void onMessage(Q message) {
            deliver(l -> l.onMessage(message));
        }

        @Override
        public void onHalfClose() {
            deliver(ServerCall.Listener::onHalfClose);
        }

        @Override
        public void onCancel() {
            synchronized (this) {
                cancelled = true;
            }
            deliver(ServerCall.Listener::onCancel);
        }

        @Override
        public void onComplete() {
            deliver(ServerCall.Listener::onComplete);
        }

        @Override
        public void onReady() {
            deliver(ServerCall.Listener::onReady);
        }
    }
}
