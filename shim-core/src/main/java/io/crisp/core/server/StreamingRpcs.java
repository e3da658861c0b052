package io.crisp.core.server;

import io.crisp.core.convert.StreamRequests;
import io.crisp.core.stream.StreamUrls;
import io.crisp.cri.v1.AttachRequest;
import io.crisp.cri.v1.AttachResponse;
import io.crisp.cri.v1.ExecRequest;
import io.crisp.cri.v1.ExecResponse;
import io.crisp.cri.v1.PortForwardRequest;
import io.crisp.cri.v1.PortForwardResponse;
import io.crisp.cri.v1.RuntimeServiceGrpc;
import io.grpc.ServerMethodDefinition;
import java.util.List;

/**
 * Streaming RPCs: Exec, Attach, PortForward. The request is checked now and a single-use URL
 * returned; the client then connects to the streaming server with it. Too many URLs waiting is
 * RESOURCE_EXHAUSTED (mapped in {@link GrpcStatusMapper}).
 */
public final class StreamingRpcs implements RuntimeRpcs {
    private final StreamUrls urls;

    public StreamingRpcs(StreamUrls urls) {
        this.urls = urls;
    }

    @Override
    public List<ServerMethodDefinition<?, ?>> methods() {
        return List.of(
                Rpc.unary(RuntimeServiceGrpc.getExecMethod(), this::exec),
                Rpc.unary(RuntimeServiceGrpc.getAttachMethod(), this::attach),
                Rpc.unary(RuntimeServiceGrpc.getPortForwardMethod(), this::portForward));
    }

    private ExecResponse exec(ExecRequest request) {
        return StreamRequests.execUrl(urls.exec(StreamRequests.exec(request)));
    }

    private AttachResponse attach(AttachRequest request) {
        return StreamRequests.attachUrl(urls.attach(StreamRequests.attach(request)));
    }

    private PortForwardResponse portForward(PortForwardRequest request) {
        return StreamRequests.portForwardUrl(urls.portForward(StreamRequests.portForward(request)));
    }
}
