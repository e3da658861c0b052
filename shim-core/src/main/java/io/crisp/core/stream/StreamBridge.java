package io.crisp.core.stream;

import io.crisp.core.container.ContainerExecs;
import io.crisp.core.network.NetnsDialer;
import io.crisp.core.sandbox.SandboxService;
import io.crisp.core.stream.session.ExecTarget;
import io.crisp.core.stream.session.ForwardClient;
import io.crisp.core.stream.session.ForwardListener;
import io.crisp.core.stream.session.PortForwardTarget;
import io.crisp.core.stream.session.StdioClient;
import io.crisp.core.stream.session.StdioListener;
import io.crisp.core.stream.session.StdioTarget;
import io.crisp.core.stream.session.StreamFailure;
import io.crisp.core.stream.session.StreamSessions;
import io.crisp.spi.StdioSession;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The core side of every streaming session: what the protocol layers call once a client's streams
 * are there. Exec and attach open a {@link StdioSession} on the container's backend (checked
 * again now: the container may have stopped since the URL was issued); port-forward dials into the
 * pod's network namespace. Sessions are tracked so that stopping a container or pod ends its
 * sessions, and shutting the daemon down ends all of them.
 */
public final class StreamBridge implements StreamSessions, AutoCloseable {
    private final ContainerExecs containers;
    private final SandboxService sandboxes;
    private final NetnsDialer dialer;
    private final ExecutorService threads;
    private final Set<StdioPump> stdio = ConcurrentHashMap.newKeySet();
    private final Set<ForwardPump> forwards = ConcurrentHashMap.newKeySet();

    public StreamBridge(ContainerExecs containers, SandboxService sandboxes, NetnsDialer dialer) {
        this.containers = containers;
        this.sandboxes = sandboxes;
        this.dialer = dialer;
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "crisp-stream-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public StdioListener startStdio(StdioTarget target, StdioClient client) {
        StdioSession session;
        try {
            session = target instanceof ExecTarget exec
                    ? containers.openExec(exec.containerId(), exec.command(), exec.stdio())
                    : containers.openAttach(target.containerId(), target.stdio());
        } catch (RuntimeException e) {
            throw new StreamFailure(target.kind() + " in container " + target.containerId() + ": " + e.getMessage(), e);
        }
        StdioPump[] self = new StdioPump[1];
        StdioPump pump = new StdioPump(target, session, client, threads, () -> stdio.remove(self[0]));
        self[0] = pump;
        stdio.add(pump);
        pump.start();
        return pump;
    }

    @Override
    public ForwardListener startForward(PortForwardTarget target, int port, ForwardClient client) {
        if (port < 1 || port > 65535) {
            throw new StreamFailure("port " + port + " is out of range 1-65535");
        }
        Path netns;
        try {
            netns = sandboxes.portForwardNamespace(target.sandboxId()).orElse(null);
        } catch (RuntimeException e) {
            throw new StreamFailure("port-forward to pod sandbox " + target.sandboxId() + ": " + e.getMessage(), e);
        }
        ForwardPump[] self = new ForwardPump[1];
        ForwardPump pump = new ForwardPump(target.sandboxId(), netns, port, client, dialer, threads, () -> forwards.remove(self[0]));
        self[0] = pump;
        forwards.add(pump);
        pump.start();
        return pump;
    }

    /** Ends the exec and attach sessions of a container that stopped or is being removed. */
    public void containerStopped(String containerId) {
        for (StdioPump p : List.copyOf(stdio)) {
            if (p.containerId().equals(containerId)) {
                p.stop("container " + containerId + " stopped");
            }
        }
    }

    /** Ends the port-forward connections of a pod that stopped. */
    public void sandboxStopped(String sandboxId) {
        for (ForwardPump p : List.copyOf(forwards)) {
            if (p.sandboxId().equals(sandboxId)) {
                p.stop("pod sandbox " + sandboxId + " stopped");
            }
        }
    }

    /** Sessions running now, for tests and status. */
    public int active() {
        return stdio.size() + forwards.size();
    }

    @Override
    public void close() {
        for (StdioPump p : List.copyOf(stdio)) {
            p.stop("the runtime is shutting down");
        }
        for (ForwardPump p : List.copyOf(forwards)) {
            p.stop("the runtime is shutting down");
        }
        threads.shutdown();
    }
}
