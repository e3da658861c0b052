package io.crisp.core.convert;

import io.crisp.core.oci.Capabilities;
import io.crisp.core.oci.ContainerSecurity;
import io.crisp.core.oci.ContainerSettings;
import io.crisp.core.oci.DeviceSettings;
import io.crisp.core.oci.EnvVar;
import io.crisp.core.oci.MountSettings;
import io.crisp.core.oci.NamespaceMode;
import io.crisp.core.oci.ResourceSettings;
import io.crisp.core.oci.SecurityProfile;
import io.crisp.core.oci.SecurityProfile.Kind;
import io.crisp.cri.v1.ContainerConfig;
import io.crisp.cri.v1.HugepageLimit;
import io.crisp.cri.v1.LinuxContainerResources;
import io.crisp.cri.v1.LinuxContainerSecurityContext;
import io.crisp.cri.v1.Mount;
import io.crisp.cri.v1.MountPropagation;
import io.crisp.cri.v1.NamespaceOption;
import io.crisp.cri.v1.Signal;
import io.crisp.spi.BackendException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A CRI {@code ContainerConfig} (and {@code LinuxContainerResources}) to {@link ContainerSettings},
 * refusing what is missing, malformed or not supported with the field's path. Also turns the CRI
 * seccomp/AppArmor choices into {@link SecurityProfile}s for both converters.
 */
public final class ContainerSettingsFromCri {
    private static final String SECURITY = "config.linux.security_context";

    private ContainerSettingsFromCri() {}

    public static ContainerSettings from(ContainerConfig config) {
        Fields.required(config.getMetadata().getName(), "config.metadata.name");
        Fields.required(config.getImage().getImage(), "config.image.image");
        if (!config.getWorkingDir().isEmpty() && !config.getWorkingDir().startsWith("/")) {
            throw BackendException.invalidArgument("config.working_dir: must be an absolute path, got '%s'",
                    config.getWorkingDir());
        }
        List<EnvVar> envs = new ArrayList<>();
        for (int i = 0; i < config.getEnvsCount(); i++) {
            var kv = config.getEnvs(i);
            if (kv.getKey().isEmpty() || kv.getKey().contains("=")) {
                throw BackendException.invalidArgument("config.envs[%d].key: must be non-empty and without '=', got '%s'",
                        i, kv.getKey());
            }
            envs.add(new EnvVar(kv.getKey(), kv.getValue()));
        }
        List<String> cdi = new ArrayList<>();
        for (int i = 0; i < config.getCDIDevicesCount(); i++) {
            Fields.required(config.getCDIDevices(i).getName(), "config.CDI_devices[" + i + "].name");
            cdi.add(config.getCDIDevices(i).getName());
        }
        LinuxContainerSecurityContext sc = config.getLinux().getSecurityContext();
        NamespaceOption ns = sc.getNamespaceOptions();
        NamespaceMode pid = switch (ns.getPid()) {
            case POD -> NamespaceMode.POD;
            case CONTAINER -> NamespaceMode.CONTAINER;
            case NODE -> NamespaceMode.NODE;
            case TARGET -> NamespaceMode.TARGET;
            default -> throw BackendException.invalidArgument("%s.namespace_options.pid: unknown mode %d", SECURITY,
                    ns.getPidValue());
        };
        if (pid == NamespaceMode.TARGET && ns.getTargetId().isEmpty()) {
            throw BackendException.invalidArgument("%s.namespace_options.target_id: must be set for pid mode TARGET",
                    SECURITY);
        }
        refuseUserNamespace(ns, SECURITY);
        if (config.getStopSignal() == Signal.UNRECOGNIZED) {
            throw BackendException.invalidArgument("config.stop_signal: unknown signal %d", config.getStopSignalValue());
        }
        String stopSignal = config.getStopSignal() == Signal.RUNTIME_DEFAULT ? "" : config.getStopSignal().name();
        ResourceSettings resources = config.getLinux().hasResources()
                ? resources(config.getLinux().getResources(), "config.linux.resources") : ResourceSettings.NONE;
        return new ContainerSettings(config.getMetadata().getName(), config.getMetadata().getAttempt(),
                config.getImage().getImage(), config.getCommandList(), config.getArgsList(), config.getWorkingDir(), envs,
                mounts(config.getMountsList()), devices(config), config.getLabelsMap(), config.getAnnotationsMap(),
                config.getLogPath(), config.getStdin(), config.getStdinOnce(), config.getTty(), stopSignal, pid,
                pid == NamespaceMode.TARGET ? ns.getTargetId() : "", resources, security(sc), cdi);
    }

    /** Resources of an UpdateContainerResources request; errors name the field as {@code linux.<field>}. */
    public static ResourceSettings resources(LinuxContainerResources r) {
        return resources(r, "linux");
    }

    /** Resources, naming fields below {@code field} in errors. */
    public static ResourceSettings resources(LinuxContainerResources r, String field) {
        Fields.notNegative(r.getCpuPeriod(), field + ".cpu_period");
        Fields.notNegative(r.getCpuShares(), field + ".cpu_shares");
        Fields.notNegative(r.getMemoryLimitInBytes(), field + ".memory_limit_in_bytes");
        if (r.getCpuQuota() < -1) {
            throw BackendException.invalidArgument("%s.cpu_quota: must be -1, 0 or positive, got %d", field, r.getCpuQuota());
        }
        if (r.getMemorySwapLimitInBytes() < -1) {
            throw BackendException.invalidArgument("%s.memory_swap_limit_in_bytes: must be -1, 0 or positive, got %d", field,
                    r.getMemorySwapLimitInBytes());
        }
        if (r.getOomScoreAdj() < -1000 || r.getOomScoreAdj() > 1000) {
            throw BackendException.invalidArgument("%s.oom_score_adj: must be between -1000 and 1000, got %d", field,
                    r.getOomScoreAdj());
        }
        cpuset(r.getCpusetCpus(), field + ".cpuset_cpus");
        cpuset(r.getCpusetMems(), field + ".cpuset_mems");
        Map<String, Long> hugepages = new LinkedHashMap<>();
        for (int i = 0; i < r.getHugepageLimitsCount(); i++) {
            HugepageLimit h = r.getHugepageLimits(i);
            if (!h.getPageSize().matches("[0-9]+[KMGT]B")) {
                throw BackendException.invalidArgument("%s.hugepage_limits[%d].page_size: want a size like 2MB or 1GB, got '%s'",
                        field, i, h.getPageSize());
            }
            hugepages.put(h.getPageSize(), h.getLimit());
        }
        for (String key : r.getUnifiedMap().keySet()) {
            if (key.isEmpty() || key.contains("/") || key.contains("..")) {
                throw BackendException.invalidArgument("%s.unified[%s]: not a cgroup file name", field, key);
            }
        }
        return new ResourceSettings(r.getCpuPeriod(), r.getCpuQuota(), r.getCpuShares(), r.getMemoryLimitInBytes(),
                r.getOomScoreAdj(), r.getCpusetCpus(), r.getCpusetMems(), hugepages, r.getUnifiedMap(),
                r.getMemorySwapLimitInBytes());
    }

    private static List<MountSettings> mounts(List<Mount> mounts) {
        List<MountSettings> out = new ArrayList<>();
        for (int i = 0; i < mounts.size(); i++) {
            Mount m = mounts.get(i);
            String field = "config.mounts[" + i + "]";
            absolute(m.getContainerPath(), field + ".container_path");
            if (m.hasImage() && !m.getImage().getImage().isEmpty()) {
                throw BackendException.invalidArgument("%s.image: image volume mounts are not supported", field);
            }
            absolute(m.getHostPath(), field + ".host_path");
            if (m.getUidMappingsCount() > 0 || m.getGidMappingsCount() > 0) {
                throw BackendException.invalidArgument("%s.uidMappings: id-mapped mounts are not supported", field);
            }
            if (m.getRecursiveReadOnly() && (!m.getReadonly() || m.getPropagation() != MountPropagation.PROPAGATION_PRIVATE)) {
                // As the CRI asks: the handler's support is checked where the handler is known.
                throw BackendException.invalidArgument("%s.recursive_read_only: needs readonly = true and propagation"
                        + " PROPAGATION_PRIVATE", field);
            }
            String propagation = switch (m.getPropagation()) {
                case PROPAGATION_PRIVATE -> "private";
                case PROPAGATION_HOST_TO_CONTAINER -> "rslave";
                case PROPAGATION_BIDIRECTIONAL -> "rshared";
                default -> throw BackendException.invalidArgument("%s.propagation: unknown value %d", field,
                        m.getPropagationValue());
            };
            out.add(new MountSettings(m.getContainerPath(), m.getHostPath(), m.getReadonly(), propagation, m.getRecursiveReadOnly()));
        }
        return out;
    }

    private static List<DeviceSettings> devices(ContainerConfig config) {
        List<DeviceSettings> out = new ArrayList<>();
        for (int i = 0; i < config.getDevicesCount(); i++) {
            var d = config.getDevices(i);
            String field = "config.devices[" + i + "]";
            absolute(d.getContainerPath(), field + ".container_path");
            absolute(d.getHostPath(), field + ".host_path");
            if (!d.getPermissions().matches("[rwm]*")) {
                throw BackendException.invalidArgument("%s.permissions: want a combination of r, w, m, got '%s'", field,
                        d.getPermissions());
            }
            out.add(new DeviceSettings(d.getContainerPath(), d.getHostPath(), d.getPermissions()));
        }
        return out;
    }

    private static ContainerSecurity security(LinuxContainerSecurityContext sc) {
        var caps = sc.getCapabilities();
        String capField = SECURITY + ".capabilities";
        List<String> ambient = capabilities(caps.getAddAmbientCapabilitiesList(), capField + ".add_ambient_capabilities");
        if (ambient.contains("ALL")) {
            throw BackendException.invalidArgument("%s.add_ambient_capabilities: ALL is not allowed here", capField);
        }
        for (int i = 0; i < sc.getMaskedPathsCount(); i++) {
            absolute(sc.getMaskedPaths(i), SECURITY + ".masked_paths[" + i + "]");
        }
        for (int i = 0; i < sc.getReadonlyPathsCount(); i++) {
            absolute(sc.getReadonlyPaths(i), SECURITY + ".readonly_paths[" + i + "]");
        }
        if (sc.hasRunAsUser() && !sc.getRunAsUsername().isEmpty()) {
            throw BackendException.invalidArgument("%s.run_as_username: cannot be set together with run_as_user", SECURITY);
        }
        if (sc.hasRunAsGroup() && !sc.hasRunAsUser() && sc.getRunAsUsername().isEmpty()) {
            throw BackendException.invalidArgument("%s.run_as_group: needs run_as_user or run_as_username (a group without a user)",
                    SECURITY);
        }
        return new ContainerSecurity(capabilities(caps.getAddCapabilitiesList(), capField + ".add_capabilities"),
                capabilities(caps.getDropCapabilitiesList(), capField + ".drop_capabilities"), ambient, sc.getPrivileged(),
                sc.hasRunAsUser() ? PodSettingsFromCri.id(sc.getRunAsUser().getValue(), SECURITY + ".run_as_user") : -1,
                sc.hasRunAsGroup() ? PodSettingsFromCri.id(sc.getRunAsGroup().getValue(), SECURITY + ".run_as_group") : -1,
                sc.getRunAsUsername(), sc.getReadonlyRootfs(), groups(sc.getSupplementalGroupsList(), SECURITY),
                sc.getNoNewPrivs(), sc.getMaskedPathsList(), sc.getReadonlyPathsList(),
                seccomp(sc.hasSeccomp(), sc.getSeccomp(), sc.getSeccompProfilePath(), SECURITY),
                apparmor(sc.hasApparmor(), sc.getApparmor(), sc.getApparmorProfile(), SECURITY),
                strictGroups(sc.getSupplementalGroupsPolicyValue(), SECURITY));
    }

    /** supplemental_groups_policy: Merge (0, the default) or Strict (1). */
    static boolean strictGroups(int policy, String prefix) {
        return switch (policy) {
            case io.crisp.cri.v1.SupplementalGroupsPolicy.Merge_VALUE -> false;
            case io.crisp.cri.v1.SupplementalGroupsPolicy.Strict_VALUE -> true;
            default -> throw BackendException.invalidArgument("%s.supplemental_groups_policy: unknown value %d (Merge or Strict)",
                    prefix, policy);
        };
    }

    private static List<String> capabilities(List<String> names, String field) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String cap = Capabilities.normalize(names.get(i));
            if (cap == null) {
                throw BackendException.invalidArgument("%s[%d]: unknown capability '%s'", field, i, names.get(i));
            }
            out.add(cap);
        }
        return out;
    }

    static List<Long> groups(List<Long> groups, String prefix) {
        for (int i = 0; i < groups.size(); i++) {
            PodSettingsFromCri.id(groups.get(i), prefix + ".supplemental_groups[" + i + "]");
        }
        return groups;
    }

    static void refuseUserNamespace(NamespaceOption ns, String prefix) {
        if (ns.hasUsernsOptions() && ns.getUsernsOptions().getMode() != io.crisp.cri.v1.NamespaceMode.NODE) {
            throw BackendException.invalidArgument("%s.namespace_options.userns_options.mode: user namespaces are not"
                    + " supported (want NODE, got %s)", prefix, ns.getUsernsOptions().getMode());
        }
    }

    /**
     * The seccomp choice from the SecurityProfile message, else the deprecated string; none means
     * unconfined (as in containerd and CRI-O). Localhost paths must be absolute.
     */
    static SecurityProfile seccomp(boolean hasProfile, io.crisp.cri.v1.SecurityProfile profile, String deprecated,
            String prefix) {
        SecurityProfile p = hasProfile ? fromMessage(profile, prefix + ".seccomp")
                : fromString(deprecated, prefix + ".seccomp_profile_path", Kind.UNCONFINED);
        if (p.kind() == Kind.LOCALHOST && !p.localhostRef().startsWith("/")) {
            throw BackendException.invalidArgument("%s: the seccomp profile must be an absolute path, got '%s'", p.field(),
                    p.localhostRef());
        }
        return p;
    }

    /** The AppArmor choice from the message, else the deprecated string; none means the runtime default. */
    static SecurityProfile apparmor(boolean hasProfile, io.crisp.cri.v1.SecurityProfile profile, String deprecated,
            String prefix) {
        return hasProfile ? fromMessage(profile, prefix + ".apparmor")
                : fromString(deprecated, prefix + ".apparmor_profile", Kind.RUNTIME_DEFAULT);
    }

    private static SecurityProfile fromMessage(io.crisp.cri.v1.SecurityProfile profile, String field) {
        return switch (profile.getProfileType()) {
            case RuntimeDefault -> new SecurityProfile(Kind.RUNTIME_DEFAULT, "", field);
            case Unconfined -> new SecurityProfile(Kind.UNCONFINED, "", field);
            case Localhost -> {
                if (profile.getLocalhostRef().isEmpty()) {
                    throw BackendException.invalidArgument("%s.localhost_ref: must not be empty for a Localhost profile",
                            field);
                }
                yield new SecurityProfile(Kind.LOCALHOST, profile.getLocalhostRef(), field + ".localhost_ref");
            }
            default -> throw BackendException.invalidArgument("%s.profile_type: unknown profile type %d", field,
                    profile.getProfileTypeValue());
        };
    }

    /** runtime/default, docker/default, unconfined, localhost/&lt;ref&gt;; "" means {@code whenEmpty}. */
    private static SecurityProfile fromString(String value, String field, Kind whenEmpty) {
        if (value.isEmpty()) {
            return new SecurityProfile(whenEmpty, "", field);
        }
        if (value.equals("runtime/default") || value.equals("docker/default")) {
            return new SecurityProfile(Kind.RUNTIME_DEFAULT, "", field);
        }
        if (value.equals("unconfined")) {
            return new SecurityProfile(Kind.UNCONFINED, "", field);
        }
        if (value.startsWith("localhost/") && value.length() > "localhost/".length()) {
            return new SecurityProfile(Kind.LOCALHOST, value.substring("localhost/".length()), field);
        }
        throw BackendException.invalidArgument("%s: unknown profile '%s' (want runtime/default, unconfined or"
                + " localhost/<name>)", field, value);
    }

    private static void absolute(String path, String field) {
        if (path.isEmpty() || !path.startsWith("/")) {
            throw BackendException.invalidArgument("%s: must be an absolute path, got '%s'", field, path);
        }
    }

    private static void cpuset(String value, String field) {
        if (!value.isEmpty() && !value.matches("[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*")) {
            throw BackendException.invalidArgument("%s: want a list like 0-3,6, got '%s'", field, value);
        }
    }
}
