package io.crisp.core.sandbox;

import java.time.Duration;
import java.util.List;

/**
 * What stopping and removing a pod needs of the containers in it, declared here so that sandbox does
 * not depend on container (container depends on sandbox); {@code container.ContainerService} provides it.
 */
public interface PodContainers {
    /** The ids of the pod's containers. */
    List<String> idsInSandbox(String sandboxId);

    /** Stops the container (CRI StopContainer). */
    void stop(String idOrPrefix, Duration timeout);

    /** Removes the container (CRI RemoveContainer). */
    void remove(String idOrPrefix);
}
