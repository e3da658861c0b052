package io.crisp.core.oci;

/**
 * One CRI bind mount of a container.
 *
 * @param containerPath absolute path inside the container
 * @param hostPath path on the host (created as a directory when missing)
 * @param readOnly mount read-only
 * @param propagation {@code private}, {@code rslave} (host to container) or {@code rshared} (bidirectional)
 * @param recursiveReadOnly read-only also for the mounts below host_path (OCI option {@code rro});
 *     only with {@code readOnly} and {@code private}, on a handler that has the capability
 */
public record MountSettings(String containerPath, String hostPath, boolean readOnly, String propagation,
        boolean recursiveReadOnly) {
    /** Not recursively read-only. */
    public MountSettings(String containerPath, String hostPath, boolean readOnly, String propagation) {
        this(containerPath, hostPath, readOnly, propagation, false);
    }

    public MountSettings {
        containerPath = containerPath == null ? "" : containerPath;
        hostPath = hostPath == null ? "" : hostPath;
        propagation = propagation == null || propagation.isEmpty() ? "private" : propagation;
    }
}
