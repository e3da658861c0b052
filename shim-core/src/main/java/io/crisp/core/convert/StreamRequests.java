package io.crisp.core.convert;

import io.crisp.core.stream.session.AttachTarget;
import io.crisp.core.stream.session.ExecTarget;
import io.crisp.core.stream.session.PortForwardTarget;
import io.crisp.cri.v1.AttachRequest;
import io.crisp.cri.v1.AttachResponse;
import io.crisp.cri.v1.ExecRequest;
import io.crisp.cri.v1.ExecResponse;
import io.crisp.cri.v1.PortForwardRequest;
import io.crisp.cri.v1.PortForwardResponse;
import io.crisp.spi.BackendException;
import io.crisp.spi.model.StdioWiring;

/**
 * CRI Exec, Attach and PortForward requests to stream targets, checked before any URL is issued
 * (the ids are resolved by the core when it issues one), and the URL answers back.
 */
public final class StreamRequests {
    private StreamRequests() {}

    public static ExecTarget exec(ExecRequest request) {
        String id = ContainerRequests.containerId(request.getContainerId());
        var command = ContainerRequests.command(request.getCmdList());
        return new ExecTarget(id, command, stdio(request.getStdin(), request.getStdout(), request.getStderr(), request.getTty()));
    }

    public static AttachTarget attach(AttachRequest request) {
        String id = ContainerRequests.containerId(request.getContainerId());
        return new AttachTarget(id, stdio(request.getStdin(), request.getStdout(), request.getStderr(), request.getTty()));
    }

    public static PortForwardTarget portForward(PortForwardRequest request) {
        String id = SandboxRequests.podSandboxId(request.getPodSandboxId());
        for (int port : request.getPortList()) {
            if (port < 1 || port > 65535) {
                throw BackendException.invalidArgument("port: %d is out of range 1-65535", port);
            }
        }
        return new PortForwardTarget(id, request.getPortList());
    }

    public static ExecResponse execUrl(String url) {
        return ExecResponse.newBuilder().setUrl(url).build();
    }

    public static AttachResponse attachUrl(String url) {
        return AttachResponse.newBuilder().setUrl(url).build();
    }

    public static PortForwardResponse portForwardUrl(String url) {
        return PortForwardResponse.newBuilder().setUrl(url).build();
    }

    /** Exec's and Attach's streams: at least one, and no stderr with a terminal. */
    private static StdioWiring stdio(boolean stdin, boolean stdout, boolean stderr, boolean tty) {
        if (!stdin && !stdout && !stderr) {
            throw BackendException.invalidArgument("stdin, stdout, stderr: at least one must be set");
        }
        if (tty && stderr) {
            throw BackendException.invalidArgument("tty, stderr: stderr cannot be set with tty (a terminal has one output stream)");
        }
        return new StdioWiring(stdin, stdout, stderr, tty);
    }
}
