package io.crisp.core.oci;

/**
 * One CRI device of a container.
 *
 * @param containerPath path of the device node inside the container
 * @param hostPath the host's device node (or a directory of device nodes)
 * @param permissions cgroup access, a combination of {@code r}, {@code w}, {@code m}
 */
public record DeviceSettings(String containerPath, String hostPath, String permissions) {
    public DeviceSettings {
        containerPath = containerPath == null ? "" : containerPath;
        hostPath = hostPath == null ? "" : hostPath;
        permissions = permissions == null || permissions.isEmpty() ? "rwm" : permissions;
    }
}
