package io.crisp.core.oci;

/**
 * One CRI bind mount of a container.
 *
 * @param containerPath absolute path inside the container
 * @param hostPath path on the host (created as a directory when missing)
 * @param readOnly mount read-only
 * @param propagation {@code private}, {@code rslave} (host to container) or {@code rshared} (bidirectional)
 */
public record MountSettings(String containerPath, String hostPath, boolean readOnly, String propagation) {
    public MountSettings {
        containerPath = containerPath == null ? "" : containerPath;
        hostPath = hostPath == null ? "" : hostPath;
        propagation = propagation == null || propagation.isEmpty() ? "private" : propagation;
    }
}
