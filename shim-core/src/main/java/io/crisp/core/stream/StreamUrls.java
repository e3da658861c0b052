package io.crisp.core.stream;

import io.crisp.core.container.Container;
import io.crisp.core.container.ContainerExecs;
import io.crisp.core.sandbox.SandboxService;
import io.crisp.core.stream.session.AttachTarget;
import io.crisp.core.stream.session.ExecTarget;
import io.crisp.core.stream.session.PortForwardTarget;
import io.crisp.core.stream.session.StreamTarget;
import io.crisp.spi.Capability;
import java.util.function.Function;

/**
 * CRI {@code Exec}, {@code Attach} and {@code PortForward}: checks the target can be streamed to
 * now (container running and its handler able; pod ready with a network namespace), resolves a
 * short id to the full one and issues the single-use URL the client connects to.
 */
public final class StreamUrls {
    private final ContainerExecs containers;
    private final SandboxService sandboxes;
    private final Function<StreamTarget, String> issue;

    /**
     * @param issue issues the URL of a checked target ({@link Streaming#url}); may throw
     *              {@link StreamTokens.TooManyInFlight}
     */
    public StreamUrls(ContainerExecs containers, SandboxService sandboxes, Function<StreamTarget, String> issue) {
        this.containers = containers;
        this.sandboxes = sandboxes;
        this.issue = issue;
    }

    /** @throws io.crisp.spi.BackendException NOT_FOUND, FAILED_PRECONDITION if not running, UNIMPLEMENTED if the handler cannot exec */
    public String exec(ExecTarget target) {
        Container c = containers.streamable(target.containerId(), Capability.EXEC, "Exec");
        return issue.apply(new ExecTarget(c.id(), target.command(), target.stdio()));
    }

    /** @throws io.crisp.spi.BackendException NOT_FOUND, FAILED_PRECONDITION if not running, UNIMPLEMENTED if the handler cannot attach */
    public String attach(AttachTarget target) {
        Container c = containers.streamable(target.containerId(), Capability.ATTACH, "Attach");
        return issue.apply(new AttachTarget(c.id(), target.stdio()));
    }

    /** @throws io.crisp.spi.BackendException NOT_FOUND, FAILED_PRECONDITION if the pod is not ready or lost its namespace */
    public String portForward(PortForwardTarget target) {
        sandboxes.portForwardNamespace(target.sandboxId());
        String sandboxId = sandboxes.status(target.sandboxId()).id();
        return issue.apply(new PortForwardTarget(sandboxId, target.ports()));
    }
}
