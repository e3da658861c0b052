package io.crisp.core.config;

import io.crisp.core.oci.SpecRules;
import io.crisp.core.oci.Ulimit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The generic keys of every {@code [runtimes.NAME]} table, which the core reads and applies to the specs
 * it builds ({@link SpecRules}); the plugin never sees them. A key the table does not set takes the
 * plugin's default from {@code RuntimePlugin.defaultOptions()} (the kata plugin gives
 * {@code pod_annotations = ["io.katacontainers.*"]}), else the core's: every annotation passes, host
 * devices stay, no CRI-O keys.
 */
public final class SpecRuleKeys {
    public static final String POD_ANNOTATIONS = "pod_annotations";
    public static final String CONTAINER_ANNOTATIONS = "container_annotations";
    public static final String PRIVILEGED_WITHOUT_HOST_DEVICES = "privileged_without_host_devices";
    public static final String VM_ANNOTATIONS = "vm_annotations";
    public static final String IGNORE_IMAGE_DEFINED_VOLUMES = "ignore_image_defined_volumes";
    public static final String DEFAULT_ULIMITS = "default_ulimits";
    /**
     * Pods whose containers do not share one PID namespace run without an infra process: the core pins
     * their namespaces to files (CRI-O's key of the same name). Unset: on when the handler's backend
     * can ({@code PODS_WITHOUT_INFRA}: runc), off otherwise.
     */
    public static final String DROP_INFRA_CTR = "drop_infra_ctr";
    /**
     * The rlimits of a handler that does not set {@code default_ulimits}: systemd's default since v240
     * (DefaultLimitNOFILE=1024:524288). A soft 1024 keeps programs that use select(2), whose fd_set
     * holds descriptors below 1024 only, from overflowing it; a hard 524288 lets a program that needs
     * many descriptors raise its own soft limit. Without a default, containers would inherit the
     * daemon's LimitNOFILE=1048576 for both, which slows down programs that loop over every possible
     * descriptor (closing them before an exec, say). Both are lowered to the daemon's own hard limit
     * when that is smaller: raising a hard limit needs CAP_SYS_RESOURCE, which runc may not have.
     */
    public static List<Ulimit> coreDefaultUlimits() {
        long hard = Math.min(524288, Ulimit.ownHardNofile());
        return List.of(new Ulimit("nofile", Math.min(1024, hard), hard));
    }

    public static final Set<String> KEYS = Set.of(POD_ANNOTATIONS, CONTAINER_ANNOTATIONS, PRIVILEGED_WITHOUT_HOST_DEVICES,
            VM_ANNOTATIONS, DEFAULT_ULIMITS, IGNORE_IMAGE_DEFINED_VOLUMES, DROP_INFRA_CTR);

    private SpecRuleKeys() {}

    /**
     * The table's rules.
     *
     * @param origin the table for error messages, as {@link RuntimeTable#origin()}
     * @param options the table's keys (other keys are ignored)
     * @param pluginDefaults the plugin's defaults, for keys the table does not set
     * @throws ConfigException naming the table and the key on a wrong type or an empty pattern
     */
    public static SpecRules read(String origin, Map<String, Object> options, Map<String, Object> pluginDefaults) {
        return new SpecRules(
                patterns(origin, POD_ANNOTATIONS, value(options, pluginDefaults, POD_ANNOTATIONS)),
                patterns(origin, CONTAINER_ANNOTATIONS, value(options, pluginDefaults, CONTAINER_ANNOTATIONS)),
                bool(origin, PRIVILEGED_WITHOUT_HOST_DEVICES, value(options, pluginDefaults, PRIVILEGED_WITHOUT_HOST_DEVICES)),
                bool(origin, VM_ANNOTATIONS, value(options, pluginDefaults, VM_ANNOTATIONS)),
                ulimits(origin, value(options, pluginDefaults, DEFAULT_ULIMITS)),
                bool(origin, IGNORE_IMAGE_DEFINED_VOLUMES, value(options, pluginDefaults, IGNORE_IMAGE_DEFINED_VOLUMES)));
    }

    /**
     * The table's {@code drop_infra_ctr}; empty when it does not set it.
     *
     * @throws ConfigException naming the table and the key when it is not a boolean
     */
    public static Optional<Boolean> dropInfra(String origin, Map<String, Object> options) {
        Object value = options.get(DROP_INFRA_CTR);
        return value == null ? Optional.empty() : Optional.of(bool(origin, DROP_INFRA_CTR, value));
    }

    private static List<Ulimit> ulimits(String origin, Object value) {
        if (value == null) {
            return coreDefaultUlimits();
        }
        if (!(value instanceof List<?> list) || list.stream().anyMatch(item -> !(item instanceof String))) {
            throw new ConfigException(origin + " key '" + DEFAULT_ULIMITS + "': expected a list of strings like"
                    + " [\"nofile=1024:524288\"], got " + value);
        }
        try {
            return Ulimit.parseAll(list.stream().map(String.class::cast).toList());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(origin + " key '" + DEFAULT_ULIMITS + "': " + e.getMessage());
        }
    }

    /** The table's keys without the generic ones (these and {@link CallLimits#KEYS}): what the plugin validates. */
    public static Map<String, Object> pluginOptions(Map<String, Object> options) {
        Map<String, Object> rest = new LinkedHashMap<>(options);
        rest.keySet().removeAll(KEYS);
        rest.keySet().removeAll(CallLimits.KEYS);
        return rest;
    }

    private static Object value(Map<String, Object> options, Map<String, Object> defaults, String key) {
        return options.containsKey(key) ? options.get(key) : defaults.get(key);
    }

    private static Optional<List<String>> patterns(String origin, String key, Object value) {
        if (value == null) {
            return Optional.empty();
        }
        if (!(value instanceof List<?> list)) {
            throw new ConfigException(origin + " key '" + key + "': expected a list of annotation patterns"
                    + " (like [\"io.katacontainers.*\"]), got " + value);
        }
        List<String> patterns = new ArrayList<>();
        for (Object item : list) {
            if (!(item instanceof String s) || s.isBlank()) {
                throw new ConfigException(origin + " key '" + key + "': every pattern must be a non-empty string, got "
                        + (item instanceof String ? "\"" + item + "\"" : item));
            }
            patterns.add(s);
        }
        return Optional.of(patterns);
    }

    private static boolean bool(String origin, String key, Object value) {
        if (value == null) {
            return false;
        }
        if (!(value instanceof Boolean b)) {
            throw new ConfigException(origin + " key '" + key + "': expected a boolean (true or false), got " + value);
        }
        return b;
    }
}
