package io.crisp.core.sandbox;

import static java.util.Objects.requireNonNull;

import io.crisp.core.network.cni.PodNetworkStatus;
import io.crisp.core.network.cni.PortMapping;
import io.crisp.core.oci.PodNamespacePaths;
import io.crisp.core.oci.PodSettings;
import io.crisp.spi.model.PodIdentity;
import java.util.List;
import java.util.Map;

/**
 * A pod sandbox as the core records it, in memory and in {@code <root>/pods/<id>.json}: immutable;
 * a state change stores a new record.
 *
 * @param createdAtNanos creation time in nanoseconds since the epoch (CRI: must be > 0)
 * @param handler the runtime handler it was created with; every later call goes to it
 * @param settings what the pod's containers are built from (namespaces, security, DNS, cgroup parent)
 * @param logDirectory the pod's log directory, absolute, or empty when the kubelet gave none
 * @param pid the infra process on the host, 0 when not known
 * @param pauseImageId the image id of the infra process's image
 * @param portMappings the pod's port mappings, handed to CNI
 * @param network what CNI gave the pod (IPs); {@link #NO_NETWORK} for hostNetwork pods and once stopped
 * @param pinned for a pod without an infra process, the namespace files the core pinned, which its
 *     containers join; null for a pod with one (and in records written before pods could do without)
 */
public record Sandbox(String id, PodIdentity pod, State state, long createdAtNanos, Map<String, String> labels,
        Map<String, String> annotations, String handler, PodSettings settings, String logDirectory, long pid,
        String pauseImageId, List<PortMapping> portMappings, PodNetworkStatus network, PodNamespacePaths pinned) {
    public static final PodNetworkStatus NO_NETWORK = new PodNetworkStatus("", "", "", List.of());

    /** CRI {@code PodSandboxState}. */
    public enum State { READY, NOT_READY }

    public Sandbox {
        requireNonNull(id, "id is null");
        requireNonNull(pod, "pod is null");
        requireNonNull(state, "state is null");
        if (createdAtNanos <= 0) {
            throw new IllegalArgumentException("createdAtNanos must be > 0: " + createdAtNanos);
        }
        labels = Map.copyOf(requireNonNull(labels, "labels is null"));
        annotations = Map.copyOf(requireNonNull(annotations, "annotations is null"));
        requireNonNull(handler, "handler is null");
        requireNonNull(settings, "settings is null");
        requireNonNull(logDirectory, "logDirectory is null");
        requireNonNull(pauseImageId, "pauseImageId is null");
        portMappings = portMappings == null ? List.of() : List.copyOf(portMappings); // null: written before networking existed
        network = network == null ? NO_NETWORK : network;
    }

    /** A pod with an infra process. */
    public Sandbox(String id, PodIdentity pod, State state, long createdAtNanos, Map<String, String> labels,
            Map<String, String> annotations, String handler, PodSettings settings, String logDirectory, long pid,
            String pauseImageId, List<PortMapping> portMappings, PodNetworkStatus network) {
        this(id, pod, state, createdAtNanos, labels, annotations, handler, settings, logDirectory, pid, pauseImageId, portMappings,
                network, null);
    }

    /** Whether the pod has an infra process (else its namespaces are {@link #pinned()}). */
    public boolean hasInfra() {
        return pinned == null;
    }

    /** Where the pod's containers join its namespaces. */
    public PodNamespacePaths namespacePaths() {
        return pinned == null ? PodNamespacePaths.ofInfra(pid) : pinned;
    }

    public Sandbox withState(State next, long nextPid) {
        return new Sandbox(id, pod, next, createdAtNanos, labels, annotations, handler, settings, logDirectory, nextPid, pauseImageId,
                portMappings, network, pinned);
    }

    public Sandbox withNetwork(PodNetworkStatus next) {
        return new Sandbox(id, pod, state, createdAtNanos, labels, annotations, handler, settings, logDirectory, pid, pauseImageId,
                portMappings, next, pinned);
    }

    /** The name reserved for this pod: metadata name, namespace, uid and attempt (as CRI-O and containerd key it). */
    public String reservedName() {
        return reservedName(pod);
    }

    public static String reservedName(PodIdentity pod) {
        return pod.name() + "_" + pod.namespace() + "_" + pod.uid() + "_" + pod.attempt();
    }
}
