package io.crisp.core.server;

import io.crisp.cri.v1.RuntimeServiceGrpc;
import io.grpc.BindableService;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CRI {@code RuntimeService}, composed from one {@link RuntimeRpcs} per concern: {@link PodSandboxRpcs},
 * {@link ContainerRpcs}, {@link StreamingRpcs}, {@link StatsRpcs}, {@link RuntimeInfoRpcs}. Methods no
 * concern binds answer UNIMPLEMENTED naming the method (the generated default does so), never a
 * made-up success.
 *
 * <p>Why a {@link ServerServiceDefinition} composition rather than a {@code RuntimeServiceImplBase}
 * subclass delegating each method: each concern binds its methods once, as functions from request
 * to response run through the one error funnel ({@link Rpc#unary}, {@link GrpcStatusMapper}), so
 * there is no second list of some thirty delegating overrides to keep in step, no override can
 * forget the funnel, and the RPC name in logs comes from the method descriptor. A concern can also
 * shape its own binding (the cached ListPodSandbox and ListContainers bytes, see {@link ListCache}).
 * The generated binding of a class that overrides nothing supplies the UNIMPLEMENTED answers, and a
 * method bound by two concerns fails at start.
 */
public final class RuntimeServiceImpl implements BindableService {
    private final List<RuntimeRpcs> concerns;

    public RuntimeServiceImpl(RuntimeRpcs... concerns) {
        this.concerns = List.of(concerns);
    }

    @Override
    public ServerServiceDefinition bindService() {
        Map<String, ServerMethodDefinition<?, ?>> bound = new HashMap<>();
        for (RuntimeRpcs concern : concerns) {
            for (ServerMethodDefinition<?, ?> method : concern.methods()) {
                String name = method.getMethodDescriptor().getFullMethodName();
                if (bound.put(name, method) != null) {
                    throw new IllegalStateException(name + " is bound by two RuntimeService concerns");
                }
            }
        }
        ServerServiceDefinition unimplemented = RuntimeServiceGrpc.bindService(new RuntimeServiceGrpc.AsyncService() {});
        // By name, not by descriptor: a cached List method has its own marshaller, so its descriptor
        // is not the generated instance the descriptor-checked builder insists on.
        ServerServiceDefinition.Builder service = ServerServiceDefinition.builder(RuntimeServiceGrpc.SERVICE_NAME);
        for (ServerMethodDefinition<?, ?> method : unimplemented.getMethods()) {
            ServerMethodDefinition<?, ?> chosen = bound.remove(method.getMethodDescriptor().getFullMethodName());
            if (chosen == null) {
                chosen = method;
            }
            add(service, chosen);
        }
        if (!bound.isEmpty()) {
            throw new IllegalStateException("not RuntimeService methods: " + bound.keySet());
        }
        return service.build();
    }

    private static <Q, R> void add(ServerServiceDefinition.Builder service, ServerMethodDefinition<Q, R> method) {
        service.addMethod(method);
    }
}
