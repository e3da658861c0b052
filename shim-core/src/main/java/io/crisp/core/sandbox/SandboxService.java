package io.crisp.core.sandbox;

import io.crisp.core.plugin.Handler;
import io.crisp.core.runtime.DaemonState;
import io.crisp.spi.BackendException;
import io.crisp.spi.Capability;
import java.util.List;

/**
 * Pod sandboxes: chooses the handler for a new pod and hands the pod to its backend. In this
 * release no backend offers {@link Capability#POD_LIFECYCLE} (it arrives with issue 4), so a pod
 * with a known handler is answered UNIMPLEMENTED naming handler and plugin; a pod with an unknown
 * handler is refused as INVALID_ARGUMENT, as the CRI requires.
 */
public final class SandboxService {
    private final DaemonState state;
    private final SandboxStore store = new SandboxStore();

    public SandboxService(DaemonState state) {
        this.state = state;
    }

    /** Answers from memory; never touches disk or a backend. */
    public List<Sandbox> listPodSandbox(SandboxFilter filter) {
        return store.list(filter);
    }

    /** Returns the new sandbox's id. */
    public String runPodSandbox(PodSandboxRequest request) {
        Handler handler = state.handlers().table().resolve(request.runtimeHandler());
        if (!handler.supports(Capability.POD_LIFECYCLE)) {
            throw new BackendException(BackendException.Kind.UNIMPLEMENTED, String.format(
                    "RunPodSandbox: handler '%s' (plugin '%s' %s) cannot run pods: the pod lifecycle is not implemented in crisp %s yet",
                    handler.name(), handler.plugin().id(), handler.plugin().version(), io.crisp.core.CrispBuild.VERSION));
        }
        // TODO(issue 4): create the sandbox, persist it with handler.name(), retain the handler.
        throw new BackendException(BackendException.Kind.UNIMPLEMENTED,
                "RunPodSandbox: handler '" + handler.name() + "' offers the pod lifecycle, but crisp core cannot prepare sandboxes yet");
    }
}
