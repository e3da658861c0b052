package io.crisp.core.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import org.junit.jupiter.api.Test;

final class RpcLogInterceptorTest {
    @Test
    void nodeFailuresAreWarningsAndRequestMistakesAreNot() {
        for (Status.Code code : new Status.Code[] {Status.Code.INTERNAL, Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED,
                Status.Code.RESOURCE_EXHAUSTED}) {
            assertTrue(RpcLogInterceptor.serverSide(code), code.toString());
        }
        for (Status.Code code : new Status.Code[] {Status.Code.INVALID_ARGUMENT, Status.Code.FAILED_PRECONDITION,
                Status.Code.ALREADY_EXISTS, Status.Code.NOT_FOUND, Status.Code.CANCELLED}) {
            assertFalse(RpcLogInterceptor.serverSide(code), code.toString());
        }
    }
}
