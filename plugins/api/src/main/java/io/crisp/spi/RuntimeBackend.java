package io.crisp.spi;

import io.crisp.spi.model.CheckpointSpec;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.ContainerState;
import io.crisp.spi.model.ContainerStatsSample;
import io.crisp.spi.model.ExecResult;
import io.crisp.spi.model.ExecSpec;
import io.crisp.spi.model.SandboxSpec;
import io.crisp.spi.model.SandboxState;
import io.crisp.spi.model.StdioWiring;
import io.crisp.spi.model.StreamExecSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One runtime handler's backend: it runs the sandboxes and containers the core prepared. The core
 * turns every CRI request into an OCI bundle (a {@code config.json} plus a root filesystem) and
 * hands it over; the backend runs it on its technology, whatever that is: an OCI runtime CLI with
 * a monitor process, a VM behind a containerd shim, a pod-level runtime such as systemd-nspawn, or
 * LXC. Nothing here is specific to one of them.
 *
 * <p>Contract for every method:
 * <ul>
 *   <li>Thread-safe: the core calls concurrently for different pods and containers. It never calls
 *       concurrently for the same object.</li>
 *   <li>Failures are {@link BackendException}s; anything else is reported to the caller as INTERNAL.</li>
 *   <li>Stop and remove methods are idempotent: on an object that is already stopped or gone they
 *       return normally (CRI: "must not return an error if the container has already been stopped").</li>
 *   <li>Optional methods are guarded by a {@link Capability}; the core only calls them when
 *       {@link #capabilities()} contains it, and the defaults throw UNIMPLEMENTED.</li>
 * </ul>
 */
public interface RuntimeBackend extends AutoCloseable {
    /** What this backend can do; read once after {@link RuntimePlugin#create}. */
    Set<Capability> capabilities();

    /**
     * Whether the backend can run pods now (binaries present, daemon reachable). Called on every
     * CRI {@code Status} call, that is every few seconds: answer from memory or a cheap check.
     */
    default BackendHealth health() {
        return BackendHealth.healthy();
    }

    /**
     * The node checks of this backend (SPI 1.3), for {@code crisp doctor} and for readiness: the
     * binaries it runs with their versions, the kernel features and devices it needs (cgroup
     * controllers, seccomp, namespaces, {@code /dev/kvm}), each OK, WARN or FAIL with a fix. The
     * core reports the handler not ready with the first FAIL's reason and message, before it asks
     * {@link #health()}; so list here what health checks too and derive health from the same list
     * ({@link NodeCheck#health}), so the two never disagree.
     *
     * <p>Called on every CRI {@code Status}, like {@link #health()}: answer from memory or cheap
     * reads (stat a file, read {@code /proc}); probe versions once and report what was found.
     * The default turns {@link #health()} into one check, which keeps plugins built against
     * SPI 1.2 or earlier working unchanged.
     */
    default List<NodeCheck> nodeChecks() {
        return List.of(NodeCheck.of(health()));
    }

    /**
     * Facts about the backend for {@code Status} with {@code verbose} and {@code crisp plugins}:
     * binary paths and versions, effective options. Values are plain strings. Never include secrets.
     */
    default Map<String, String> describe() {
        return Map.of();
    }

    /**
     * Starts a pod sandbox from the bundle in {@code spec.bundleDir()}. On return the sandbox is
     * ready (CRI). On failure leave nothing running. Needs {@link Capability#POD_LIFECYCLE}.
     *
     * @throws BackendException ALREADY_EXISTS if the id is in use
     */
    @Experimental(settledBy = "issue 4: pod and container lifecycle")
    default SandboxState runSandbox(SandboxSpec spec) {
        throw BackendException.unimplemented(getClass().getSimpleName(), "RunPodSandbox");
    }

    /**
     * The sandbox's current state. Must answer for any sandbox this backend created, also after a
     * daemon restart (from the backend's own files under {@link HandlerConfig#stateDir()}).
     *
     * @throws BackendException NOT_FOUND if the backend does not know the sandbox
     */
    @Experimental(settledBy = "issue 4: pod and container lifecycle")
    default SandboxState sandboxState(String sandboxId) {
        throw BackendException.unimplemented(getClass().getSimpleName(), "PodSandboxStatus");
    }

    /** Stops every process of the sandbox, waiting up to {@code timeout} before killing. Idempotent. */
    @Experimental(settledBy = "issue 4: pod and container lifecycle")
    default void stopSandbox(String sandboxId, Duration timeout) {
        throw BackendException.unimplemented(getClass().getSimpleName(), "StopPodSandbox");
    }

    /** Releases everything the backend holds for the sandbox. Idempotent. */
    @Experimental(settledBy = "issue 4: pod and container lifecycle")
    default void removeSandbox(String sandboxId) {
        throw BackendException.unimplemented(getClass().getSimpleName(), "RemovePodSandbox");
    }

    /**
     * Creates (but does not start) a container inside a running sandbox.
     *
     * @throws BackendException NOT_FOUND if the sandbox is unknown, FAILED_PRECONDITION if it is not running
     */
    @Experimental(settledBy = "issue 4: pod and container lifecycle")
    default ContainerState createContainer(ContainerSpec spec) {
        throw BackendException.unimplemented(getClass().getSimpleName(), "CreateContainer");
    }

    /**
     * Starts a created container.
     *
     * @throws BackendException NOT_FOUND if unknown, FAILED_PRECONDITION if it was started already
     */
    @Experimental(settledBy = "issue 4: pod and container lifecycle")
    default ContainerState startContainer(String containerId) {
        throw BackendException.unimplemented(getClass().getSimpleName(), "StartContainer");
    }

    /**
     * Sends {@code signal} (a Linux signal number: the image's stop signal, SIGTERM by default),
     * waits up to {@code timeout} for the container to exit, then sends SIGKILL and waits for the
     * exit. A zero timeout kills at once. On return the container has exited. Idempotent.
     */
    @Experimental(settledBy = "issue 4: pod and container lifecycle")
    default void stopContainer(String containerId, int signal, Duration timeout) {
        throw BackendException.unimplemented(getClass().getSimpleName(), "StopContainer");
    }

    /** Removes a container, killing it first if it still runs. Idempotent. */
    @Experimental(settledBy = "issue 4: pod and container lifecycle")
    default void removeContainer(String containerId) {
        throw BackendException.unimplemented(getClass().getSimpleName(), "RemoveContainer");
    }

    /**
     * The container's current state, cheaply (the core calls it on recovery and after events, not
     * on every list). Must answer for any container this backend created, also after a daemon
     * restart: a container that exited while no daemon ran is EXITED with its exit status. After
     * this call the backend reports the container's exit through {@link ContainerEventSink}.
     *
     * @throws BackendException NOT_FOUND if the backend does not know the container
     */
    @Experimental(settledBy = "issue 4: pod and container lifecycle")
    default ContainerState containerState(String containerId) {
        throw BackendException.unimplemented(getClass().getSimpleName(), "ContainerStatus");
    }

    /**
     * Runs a command in a running container and collects its output. Needs {@link Capability#EXEC_SYNC}.
     * When {@code spec.timeout()} is not zero and expires, the process is killed and the call fails
     * with DEADLINE_EXCEEDED. Output beyond {@code spec.maxOutputBytes()} per stream is dropped.
     *
     * @throws BackendException NOT_FOUND if unknown, FAILED_PRECONDITION if the container is not running
     */
    @Experimental(settledBy = "issue 4: pod and container lifecycle")
    default ExecResult execSync(ExecSpec spec) {
        throw BackendException.unimplemented(getClass().getSimpleName(), "ExecSync");
    }

    /**
     * Starts an interactive command in a running container and connects its stdio as
     * {@code spec.stdio()} asks, with a pseudo-terminal when it asks for a tty. The process starts
     * before this returns; the caller pumps the streams. Needs {@link Capability#EXEC}.
     *
     * @throws BackendException FAILED_PRECONDITION if the container is not running
     */
    @Experimental(settledBy = "issue 6: streaming")
    default StdioSession exec(StreamExecSpec spec) {
        throw BackendException.unimplemented(getClass().getSimpleName(), "Exec");
    }

    /**
     * Attaches to a running container's own stdio (its main process, as created with
     * {@link ContainerSpec#stdin()} and {@link ContainerSpec#tty()}). Output produced from now on
     * reaches the session; input goes to the container's stdin when it was created with stdin.
     * Several attachments may exist at once. Needs {@link Capability#ATTACH}.
     *
     * @throws BackendException FAILED_PRECONDITION if the container is not running
     */
    @Experimental(settledBy = "issue 6: streaming")
    default StdioSession attach(String containerId, StdioWiring stdio) {
        throw BackendException.unimplemented(getClass().getSimpleName(), "Attach");
    }

    /**
     * Reads the resource use of a running container, or of a sandbox's infra process when given a
     * sandbox id, cheaply: the core's collector calls it for every running container once per
     * collection period (1 s by default). Needs {@link Capability#STATS}.
     *
     * @throws BackendException NOT_FOUND if unknown, FAILED_PRECONDITION if not running
     */
    @Experimental(settledBy = "issue 7: stats, events and metrics")
    default ContainerStatsSample containerStats(String id) {
        throw BackendException.unimplemented(getClass().getSimpleName(), "ContainerStats");
    }

    /**
     * Changes a running container's resources. {@code linuxResourcesJson} is an OCI runtime spec
     * {@code linux.resources} object as JSON text. Needs {@link Capability#UPDATE_RESOURCES}.
     */
    @Experimental(settledBy = "issue 4: pod and container lifecycle")
    default void updateContainerResources(String containerId, String linuxResourcesJson) {
        throw BackendException.unimplemented(getClass().getSimpleName(), "UpdateContainerResources");
    }

    /**
     * Closes the container's log file and opens it again by path, after the kubelet renamed it for
     * rotation. Needs {@link Capability#REOPEN_LOG}.
     *
     * @throws BackendException FAILED_PRECONDITION if the container is not running
     */
    @Experimental(settledBy = "issue 4: pod and container lifecycle")
    default void reopenContainerLog(String containerId) {
        throw BackendException.unimplemented(getClass().getSimpleName(), "ReopenContainerLog");
    }

    /**
     * Writes the processes of a running container as CRIU images into {@code spec.imageDir()} (an
     * empty directory the core made), with the tool's logs in {@code spec.workDir()}. The core adds
     * the container's spec, metadata and root filesystem changes and writes the archive. Needs
     * {@link Capability#CHECKPOINT_RESTORE} (SPI 1.4).
     *
     * @throws BackendException NOT_FOUND if unknown, FAILED_PRECONDITION if not running or when the
     *     node cannot checkpoint (the checkpoint tool is missing or refuses this kernel: say what fails)
     */
    default void checkpointContainer(CheckpointSpec spec) {
        throw BackendException.unimplemented(getClass().getSimpleName(), "CheckpointContainer");
    }

    /**
     * Creates a container from CRIU images that {@link #checkpointContainer} wrote (now in
     * {@code imageDir}) and restores its processes: on return it runs, as after
     * {@link #createContainer} and {@link #startContainer}. {@code spec} is as for createContainer; its
     * root filesystem already holds the checkpointed container's changes. Needs
     * {@link Capability#CHECKPOINT_RESTORE} (SPI 1.4). On failure leave nothing running.
     */
    default ContainerState restoreContainer(ContainerSpec spec, java.nio.file.Path imageDir) {
        throw BackendException.unimplemented(getClass().getSimpleName(), "restore of a checkpoint");
    }

    /**
     * Called once the handler has been removed from the configuration and its last pod is gone, and
     * at daemon shutdown. Release threads and connections; leave running containers alone (they
     * must survive a daemon restart).
     */
    @Override
    void close();
}
