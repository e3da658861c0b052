package io.crisp.core.oci;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * A runtime handler's spec rules, the generic keys of its {@code [runtimes.NAME]} table, applied by the
 * core to the spec it builds so that {@code config.json} is final when the backend receives the bundle
 * (containerd applies the same keys in its CRI plugin, per runtime handler).
 *
 * @param podAnnotations patterns of the pod annotations written into the sandbox's spec (containerd's
 *     {@code path.Match}); empty: every annotation passes (no filtering)
 * @param containerAnnotations the same for a container's own annotations in its spec
 * @param privilegedWithoutHostDevices a privileged container gets none of the host's device nodes and no
 *     allow-all device rule (a VM has devices of its own); the core builds such a spec from the start
 *     ({@link ContainerExtras#hostDevices()}), and {@link #applyToContainer} strips what remains
 * @param vmAnnotations add CRI-O's {@code io.kubernetes.cri-o.ContainerType} and {@code SandboxID}, for
 *     legacy VM runtimes (Clear Containers, Kata 1.x) that read only those
 * @param defaultUlimits rlimits every container's process gets ({@code default_ulimits}); empty: it
 *     inherits the daemon's
 * @param ignoreImageDefinedVolumes the image's {@code Volumes} get no directories of their own: they are
 *     plain paths of the container's rootfs (containerd's {@code ignore_image_defined_volumes})
 */
public record SpecRules(Optional<List<String>> podAnnotations, Optional<List<String>> containerAnnotations,
        boolean privilegedWithoutHostDevices, boolean vmAnnotations, List<Ulimit> defaultUlimits, boolean ignoreImageDefinedVolumes) {
    /** Every annotation passes, host devices stay, no CRI-O keys, no rlimits: the spec as the core builds it. */
    public static final SpecRules NONE = new SpecRules(Optional.empty(), Optional.empty(), false, false);

    public static final String CRIO_CONTAINER_TYPE = "io.kubernetes.cri-o.ContainerType";
    public static final String CRIO_SANDBOX_ID = "io.kubernetes.cri-o.SandboxID";
    /** The prefix of the keys the core sets itself; a rule never removes one. */
    static final String CORE_PREFIX = "io.kubernetes.cri.";

    public SpecRules {
        podAnnotations = requireNonNull(podAnnotations, "podAnnotations is null").map(List::copyOf);
        containerAnnotations = requireNonNull(containerAnnotations, "containerAnnotations is null").map(List::copyOf);
        defaultUlimits = List.copyOf(requireNonNull(defaultUlimits, "defaultUlimits is null"));
    }

    /** Without default rlimits, with image volumes mounted. */
    public SpecRules(Optional<List<String>> podAnnotations, Optional<List<String>> containerAnnotations,
            boolean privilegedWithoutHostDevices, boolean vmAnnotations) {
        this(podAnnotations, containerAnnotations, privilegedWithoutHostDevices, vmAnnotations, List.of(), false);
    }

    /** With image volumes mounted. */
    public SpecRules(Optional<List<String>> podAnnotations, Optional<List<String>> containerAnnotations,
            boolean privilegedWithoutHostDevices, boolean vmAnnotations, List<Ulimit> defaultUlimits) {
        this(podAnnotations, containerAnnotations, privilegedWithoutHostDevices, vmAnnotations, defaultUlimits, false);
    }

    /** Without default rlimits. */
    public SpecRules(Optional<List<String>> podAnnotations, Optional<List<String>> containerAnnotations,
            boolean privilegedWithoutHostDevices, boolean vmAnnotations, boolean ignoreImageDefinedVolumes) {
        this(podAnnotations, containerAnnotations, privilegedWithoutHostDevices, vmAnnotations, List.of(), ignoreImageDefinedVolumes);
    }

    /**
     * Applies the rules to a pod's infra spec: pod annotations outside {@link #podAnnotations} are
     * removed, and with {@link #vmAnnotations} CRI-O's keys are added.
     *
     * @param podAnnotationKeys the keys of the annotations the pod's user set (the CRI request's)
     * @return the removed keys, in the spec's order
     */
    public List<String> applyToSandbox(ObjectNode spec, Collection<String> podAnnotationKeys) {
        List<String> removed = filter(spec, podAnnotationKeys, podAnnotations);
        if (vmAnnotations) {
            addVmAnnotations(spec, true);
        }
        return removed;
    }

    /**
     * Applies the rules to a container's spec: its own annotations outside {@link #containerAnnotations}
     * are removed, a privileged spec loses its host devices with {@link #privilegedWithoutHostDevices},
     * with {@link #vmAnnotations} CRI-O's keys are added, and {@link #defaultUlimits} become its
     * process's rlimits.
     *
     * @param containerAnnotationKeys the keys of the annotations the CRI request set on the container
     * @return the removed keys, in the spec's order
     */
    public List<String> applyToContainer(ObjectNode spec, Collection<String> containerAnnotationKeys) {
        List<String> removed = filter(spec, containerAnnotationKeys, containerAnnotations);
        if (privilegedWithoutHostDevices) {
            stripHostDevices(spec);
        }
        if (vmAnnotations) {
            addVmAnnotations(spec, false);
        }
        Ulimit.apply(spec, defaultUlimits);
        return removed;
    }

    private static List<String> filter(ObjectNode spec, Collection<String> userKeys, Optional<List<String>> allowed) {
        List<String> removed = new ArrayList<>();
        if (allowed.isEmpty() || !(spec.get("annotations") instanceof ObjectNode annotations)) {
            return removed;
        }
        List<AnnotationPattern> patterns = allowed.get().stream().map(AnnotationPattern::of).toList();
        annotations.fieldNames().forEachRemaining(key -> {
            if (userKeys.contains(key) && !key.startsWith(CORE_PREFIX) && patterns.stream().noneMatch(p -> p.matches(key))) {
                removed.add(key);
            }
        });
        annotations.remove(removed);
        return removed;
    }

    /**
     * privileged_without_host_devices: when the spec is privileged, as containerd tells it (the device
     * cgroup has an allow-all rule: {@code "allow": true, "access": "rwm"} with no type, major or minor),
     * empties linux.devices and turns each allow-all rule into deny-all. A spec that is not privileged
     * stays as it is.
     *
     * @return whether the spec changed
     */
    static boolean stripHostDevices(ObjectNode spec) {
        JsonNode linux = spec.get("linux");
        JsonNode rules = linux == null ? null : linux.path("resources").get("devices");
        if (!(rules instanceof ArrayNode array)) {
            return false;
        }
        boolean privileged = false;
        for (int i = 0; i < array.size(); i++) {
            if (isAllowAll(array.get(i))) {
                privileged = true;
                array.set(i, array.objectNode().put("allow", false).put("access", "rwm"));
            }
        }
        if (privileged && linux.get("devices") instanceof ArrayNode devices) {
            devices.removeAll();
        }
        return privileged;
    }

    private static boolean isAllowAll(JsonNode rule) {
        return rule.isObject() && rule.path("allow").isBoolean() && rule.get("allow").booleanValue()
                && "rwm".equals(rule.path("access").asText(null))
                && absent(rule.get("type")) && absent(rule.get("major")) && absent(rule.get("minor"));
    }

    private static boolean absent(JsonNode value) {
        return value == null || value.isNull();
    }

    /**
     * vm_annotations: CRI-O's container type and sandbox id, copied from the core's
     * {@code io.kubernetes.cri.*} keys (falling back to what the caller knows); values already under
     * the CRI-O keys, say copied from a pod's annotations, are replaced.
     */
    private static void addVmAnnotations(ObjectNode spec, boolean sandbox) {
        ObjectNode annotations = spec.get("annotations") instanceof ObjectNode a ? a : spec.putObject("annotations");
        String type = annotations.path(CriAnnotations.CONTAINER_TYPE).asText("");
        if (!type.equals(CriAnnotations.TYPE_SANDBOX) && !type.equals(CriAnnotations.TYPE_CONTAINER)) {
            type = sandbox ? CriAnnotations.TYPE_SANDBOX : CriAnnotations.TYPE_CONTAINER;
        }
        annotations.put(CRIO_CONTAINER_TYPE, type);
        annotations.put(CRIO_SANDBOX_ID, annotations.path(CriAnnotations.SANDBOX_ID).asText(""));
    }
}
