package io.crisp.core.network;

import io.crisp.core.network.cni.CniNetwork;
import io.crisp.core.network.cni.PodNetworkRequest;
import io.crisp.core.network.cni.PodNetworkStatus;
import io.crisp.core.network.cni.PortMapping;
import io.crisp.core.oci.PodSettings;
import io.crisp.spi.BackendException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pod's network, as RunPodSandbox and StopPodSandbox see it: a network namespace pinned under
 * {@code <state>/netns/<sandbox id>} ({@link #pin}) and wired by the node's CNI network ({@link #wire},
 * which may run while the infra process starts in the namespace), and taken apart (CNI DEL with the
 * config ADD used, then the namespace) when the pod stops.
 * hostNetwork pods never come here.
 */
public final class PodNetworking implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PodNetworking.class);

    private final NetworkNamespaces namespaces;
    private final CniNetwork cni;
    private final NodeState node;

    public PodNetworking(NetworkNamespaces namespaces, CniNetwork cni, NodeState node) {
        this.namespaces = namespaces;
        this.cni = cni;
        this.node = node;
    }

    public boolean ready() {
        return cni.ready();
    }

    public String notReadyMessage() {
        return cni.notReadyMessage();
    }

    /**
     * Pins a new, empty network namespace for the pod: its path can go into the infra process's spec
     * (or the pinning of its other namespaces) while {@link #wire} runs. {@link #detach} undoes it.
     *
     * @throws BackendException FAILED_PRECONDITION while no CNI network is configured
     */
    public Path pin(String sandboxId) {
        if (!cni.ready()) {
            throw BackendException.failedPrecondition("the pod network is not ready: %s", cni.notReadyMessage());
        }
        return namespaces.create(sandboxId);
    }

    /**
     * CNI ADD in the namespace {@link #pin} made. A failed ADD is rolled back (DEL through the
     * plugins); the namespace stays for the caller's {@link #detach}.
     *
     * @throws BackendException the plugin's error, naming the network and the pod
     */
    public PodNetworkStatus wire(String sandboxId, Path netns, PodSettings pod, List<PortMapping> ports) {
        return cni.setUp(new PodNetworkRequest(sandboxId, pod.name(), pod.namespace(), pod.uid(), netns, ports,
                pod.dns().servers(), pod.dns().searches(), pod.dns().options(), node.podCidr(), pod.annotations()));
    }

    /**
     * Runs CNI DEL for the pod (with the config ADD used, from the cache; nothing if ADD never
     * completed or DEL already ran) and removes its namespace. Idempotent; works after a restart and
     * when the namespace is already gone.
     */
    public void detach(String sandboxId) {
        unwire(sandboxId);
        namespaces.remove(sandboxId);
    }

    /**
     * The first half of {@link #detach}: CNI DEL only, the namespace stays pinned (DEL runs in it;
     * a process still in it, such as an infra process being stopped, does not matter). Idempotent.
     */
    public void unwire(String sandboxId) {
        cni.tearDown(sandboxId, namespaces.path(sandboxId));
    }

    /** Where the pod's network namespace is pinned, if it has one (hostNetwork pods and stopped pods do not). */
    public Optional<Path> namespaceOf(String sandboxId) {
        return namespaces.exists(sandboxId) ? Optional.of(namespaces.path(sandboxId)) : Optional.empty();
    }

    /** After a restart: namespaces of pods no record knows are torn down and removed. */
    public void removeLeftovers(Set<String> known) {
        for (String id : namespaces.list()) {
            if (!known.contains(id)) {
                log.info("Removing the network of {}, which no pod record names", id);
                try {
                    detach(id);
                } catch (RuntimeException e) {
                    log.warn("Cannot remove the network of {}: {}", id, e.getMessage());
                }
            }
        }
    }

    /** For the verbose Status: the network name, or why there is none. */
    public Map<String, String> describe() {
        return cni.ready() ? Map.of("network", cni.networkName()) : Map.of("notReady", cni.notReadyMessage());
    }

    @Override
    public void close() {
        cni.close();
    }
}
