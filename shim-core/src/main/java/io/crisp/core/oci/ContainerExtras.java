package io.crisp.core.oci;

import java.util.List;

/**
 * What a container's spec gets beyond its CRI settings and its image's process config: decided by its
 * handler and by the image's volumes.
 *
 * @param hostDevices a privileged container gets the host's device nodes (false with the handler's
 *     {@code privileged_without_host_devices})
 * @param imageVolumes bind mounts of the fresh directories behind the image's {@code Volumes}, mounted
 *     before the CRI mounts
 */
public record ContainerExtras(boolean hostDevices, List<MountSettings> imageVolumes) {
    /** Host devices for privileged containers, no image volumes. */
    public static final ContainerExtras DEFAULT = new ContainerExtras(true, List.of());

    public ContainerExtras {
        imageVolumes = imageVolumes == null ? List.of() : List.copyOf(imageVolumes);
    }
}
