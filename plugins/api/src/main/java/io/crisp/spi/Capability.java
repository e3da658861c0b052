package io.crisp.spi;

/**
 * Optional abilities a backend may have. The core checks a capability before it calls the matching
 * method and answers UNIMPLEMENTED, naming handler and capability, when it is missing. Capabilities
 * are also reported per handler in the CRI {@code Status} response.
 */
public enum Capability {
    /** Runs pod sandboxes and containers: the CRI lifecycle calls. */
    POD_LIFECYCLE,
    /** Runs a command in a container and returns its output (probes, {@code ExecSync}). */
    EXEC_SYNC,
    /** Interactive exec through the streaming server. */
    EXEC,
    /** Attaches to a running container's stdio. */
    ATTACH,
    /** Forwards ports into the pod's network namespace. */
    PORT_FORWARD,
    /** Changes a running container's resources in place. */
    UPDATE_RESOURCES,
    /** Reopens a container's log file after the kubelet rotated it. */
    REOPEN_LOG,
    /** Reports CPU, memory and I/O figures per container. */
    STATS,
    /** Honours user namespaces ({@code user_namespaces} runtime handler feature). */
    USER_NAMESPACES,
    /** Can mount recursively read-only ({@code recursive_read_only_mounts} runtime handler feature). */
    RECURSIVE_READ_ONLY_MOUNTS,
    /** Pulls images inside the guest instead of using the host's image store (VM backends). */
    GUEST_IMAGE_PULL,
    /** Runs a whole pod as one unit rather than one process tree per container (nspawn, LXC). */
    POD_LEVEL_RUNTIME,
    /**
     * Checkpoints a running container's processes to CRIU images and restores a container from them
     * (CRI {@code CheckpointContainer}; CreateContainer from a checkpoint archive). SPI 1.4.
     */
    CHECKPOINT_RESTORE,
    /**
     * Runs a pod without an infra process when the core asks ({@link io.crisp.spi.model.SandboxSpec#infra()}
     * false): the core pins the pod's network, IPC and UTS namespaces to files and writes them into each
     * container's spec; the backend records the sandbox, runs nothing for it, and runs its containers in
     * those namespaces (CRI-O's {@code drop_infra_ctr}). The core asks only for pods whose containers do
     * not share one PID namespace. SPI 1.5.
     */
    PODS_WITHOUT_INFRA,
    /**
     * The infra process joins the pod's network namespace by its path and reads nothing in it while it
     * starts or stops (an OCI runtime's process does; a VM that copies the namespace's interfaces into
     * its guest at start does not): the core may run CNI ADD while {@code runSandbox} runs and CNI DEL
     * while {@code stopSandbox} runs, instead of before and after. Either way {@code runSandbox} gets
     * the namespace's path, and the pod is ready only once both are over. SPI 1.6.
     */
    LATE_POD_NETWORK
}
