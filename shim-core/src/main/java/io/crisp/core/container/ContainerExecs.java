package io.crisp.core.container;

import com.fasterxml.jackson.databind.JsonNode;
import io.crisp.core.bundle.Bundles;
import io.crisp.core.oci.ExecProcesses;
import io.crisp.core.plugin.Handler;
import io.crisp.core.sandbox.SandboxStore;
import io.crisp.spi.BackendException;
import io.crisp.spi.Capability;
import io.crisp.spi.StdioSession;
import io.crisp.spi.model.ExecResult;
import io.crisp.spi.model.ExecSpec;
import io.crisp.spi.model.StdioWiring;
import io.crisp.spi.model.StreamExecSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What runs in a running container beside its own process: ExecSync, and the streaming server's
 * Exec and Attach (checked when the URL is issued and again when the client connects). An exec's
 * OCI process is the container's own, read from its config.json on the first exec and kept (probes
 * exec every few seconds), with the command as its args.
 */
public final class ContainerExecs {
    private final ContainerStore containers;
    private final SandboxStore sandboxes;
    private final Bundles bundles;
    private final Map<String, JsonNode> execBases = new ConcurrentHashMap<>();

    ContainerExecs(ContainerStore containers, SandboxStore sandboxes, Bundles bundles) {
        this.containers = containers;
        this.sandboxes = sandboxes;
        this.bundles = bundles;
    }

    /**
     * The container, which must be running.
     *
     * @throws BackendException NOT_FOUND if unknown, FAILED_PRECONDITION if not running
     */
    public Container running(String idOrPrefix) {
        Container c = containers.resolve(idOrPrefix, "container_id");
        if (!c.running()) {
            throw BackendException.failedPrecondition("container_id: container %s is not running", c.id());
        }
        return c;
    }

    /** Runs {@code command} (checked non-empty by the request converter) in the running container. */
    public ExecResult execSync(String idOrPrefix, List<String> command, Duration timeout) {
        Container c = running(idOrPrefix);
        Handler handler = ContainerService.handlerOf(sandboxes, c);
        if (!handler.supports(Capability.EXEC_SYNC)) {
            throw BackendException.unimplemented(handler.name(), "ExecSync");
        }
        return handler.backend().execSync(new ExecSpec(c.id(), command, timeout, false, ExecSpec.CRI_MAX_OUTPUT_BYTES,
                execProcess(c, command, false)));
    }

    /**
     * The container, which must be running and whose handler must offer {@code capability}.
     *
     * @throws BackendException NOT_FOUND, FAILED_PRECONDITION if not running, UNIMPLEMENTED naming handler and RPC
     */
    public Container streamable(String idOrPrefix, Capability capability, String rpc) {
        Container c = running(idOrPrefix);
        Handler handler = ContainerService.handlerOf(sandboxes, c);
        if (!handler.supports(capability)) {
            throw BackendException.unimplemented(handler.name(), rpc);
        }
        return c;
    }

    /**
     * Starts an interactive command in a running container (CRI {@code Exec} once the client connected).
     *
     * @throws BackendException NOT_FOUND, FAILED_PRECONDITION if not running, UNIMPLEMENTED if the handler cannot
     */
    public StdioSession openExec(String id, List<String> command, StdioWiring stdio) {
        Container c = streamable(id, Capability.EXEC, "Exec");
        return ContainerService.handlerOf(sandboxes, c).backend().exec(new StreamExecSpec(c.id(), command, stdio,
                execProcess(c, command, stdio.tty())));
    }

    /**
     * Attaches to a running container's stdio (CRI {@code Attach} once the client connected). Asking
     * for stdin of a container created without stdin is FAILED_PRECONDITION.
     */
    public StdioSession openAttach(String id, StdioWiring stdio) {
        Container c = streamable(id, Capability.ATTACH, "Attach");
        return ContainerService.handlerOf(sandboxes, c).backend().attach(c.id(), stdio);
    }

    /** The container is removed: its kept process goes. */
    void forget(String id) {
        execBases.remove(id);
    }

    private String execProcess(Container c, List<String> command, boolean tty) {
        return ExecProcesses.processJson(execBases.computeIfAbsent(c.id(), id -> ExecProcesses.containerProcess(bundles.bundle(id))),
                command, tty);
    }
}
