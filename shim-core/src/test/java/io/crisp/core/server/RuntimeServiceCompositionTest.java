package io.crisp.core.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.stream.StreamTokens;
import io.crisp.core.stream.session.PortForwardTarget;
import io.crisp.cri.v1.RuntimeServiceGrpc;
import io.crisp.cri.v1.VersionResponse;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How RuntimeServiceImpl puts the concerns together, and the error funnel for what only they raise. */
final class RuntimeServiceCompositionTest {
    private static final RuntimeRpcs VERSION_ONLY = () -> List.of(
            Rpc.unary(RuntimeServiceGrpc.getVersionMethod(), request -> VersionResponse.getDefaultInstance()));

    @Test
    void everyMethodOfTheServiceIsBoundOnce() {
        ServerServiceDefinition service = new RuntimeServiceImpl(VERSION_ONLY).bindService();

        assertEquals(RuntimeServiceGrpc.getServiceDescriptor().getMethods().size(), service.getMethods().size());
        assertEquals(RuntimeServiceGrpc.SERVICE_NAME, service.getServiceDescriptor().getName());
    }

    @Test
    void aMethodBoundByTwoConcernsFailsAtStart() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new RuntimeServiceImpl(VERSION_ONLY, VERSION_ONLY).bindService());

        assertTrue(e.getMessage().contains("runtime.v1.RuntimeService/Version"), e.getMessage());
    }

    @Test
    void aMethodOfAnotherServiceFailsAtStart() {
        RuntimeRpcs foreign = () -> List.<ServerMethodDefinition<?, ?>>of(Rpc.unary(io.crisp.cri.v1.ImageServiceGrpc.getListImagesMethod(),
                request -> io.crisp.cri.v1.ListImagesResponse.getDefaultInstance()));

        assertThrows(IllegalStateException.class, () -> new RuntimeServiceImpl(foreign).bindService());
    }

    @Test
    void tooManyStreamingUrlsIsResourceExhausted() {
        StreamTokens tokens = new StreamTokens();
        for (int i = 0; i < StreamTokens.MAX_IN_FLIGHT; i++) {
            tokens.issue(new PortForwardTarget("p" + i, List.of(80)));
        }
        RuntimeException full = assertThrows(RuntimeException.class, () -> tokens.issue(new PortForwardTarget("p", List.of(80))));

        StatusRuntimeException status = GrpcStatusMapper.toStatus("Exec", full);

        assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getStatus().getCode());
        assertEquals(full.getMessage(), status.getStatus().getDescription());
    }
}
