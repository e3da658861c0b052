package io.crisp.core.convert;

import io.crisp.core.oci.DnsSettings;
import io.crisp.core.oci.NamespaceMode;
import io.crisp.core.oci.PodSettings;
import io.crisp.core.oci.ResourceSettings;
import io.crisp.cri.v1.LinuxPodSandboxConfig;
import io.crisp.cri.v1.LinuxSandboxSecurityContext;
import io.crisp.cri.v1.NamespaceOption;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.spi.BackendException;
import io.crisp.spi.model.PodIdentity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/** A CRI {@code PodSandboxConfig} to {@link PodSettings}, refusing what crisp cannot honour with the field's name. */
public final class PodSettingsFromCri {
    private static final String SECURITY = "config.linux.security_context";
    /** sethostname(2) takes at most 64 bytes (HOST_NAME_MAX). */
    static final int HOSTNAME_MAX = 64;
    /** An RFC 1123 name: dot-separated labels of letters, digits and inner hyphens. */
    private static final Pattern HOSTNAME =
            Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*");
    private static final Supplier<String> NODE_HOSTNAME = () -> {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException e) {
            return "";
        }
    };

    private PodSettingsFromCri() {}

    /** The pod's metadata, refused naming the field when absent, empty or negative. */
    static PodIdentity identity(PodSandboxConfig config) {
        if (!config.hasMetadata()) {
            throw BackendException.invalidArgument("config.metadata: a pod needs metadata (name, namespace, uid)");
        }
        var m = config.getMetadata();
        Fields.required(m.getName(), "config.metadata.name");
        Fields.required(m.getNamespace(), "config.metadata.namespace");
        Fields.required(m.getUid(), "config.metadata.uid");
        Fields.notNegative(m.getAttempt(), "config.metadata.attempt");
        return new PodIdentity(m.getName(), m.getNamespace(), m.getUid(), m.getAttempt());
    }

    public static PodSettings from(PodSandboxConfig config) {
        return from(config, NODE_HOSTNAME);
    }

    /** As {@link #from(PodSandboxConfig)}, with the node's hostname (used when the pod asks for none) from {@code node}. */
    static PodSettings from(PodSandboxConfig config, Supplier<String> node) {
        PodIdentity pod = identity(config);
        var dns = config.getDnsConfig();
        DnsSettings dnsSettings = new DnsSettings(dns.getServersList(), dns.getSearchesList(), dns.getOptionsList());
        LinuxPodSandboxConfig linux = config.getLinux();
        LinuxSandboxSecurityContext sc = linux.getSecurityContext();
        NamespaceOption ns = sc.getNamespaceOptions();
        NamespaceMode network = mode(ns.getNetwork(), SECURITY + ".namespace_options.network", false);
        NamespaceMode pid = mode(ns.getPid(), SECURITY + ".namespace_options.pid", true);
        NamespaceMode ipc = mode(ns.getIpc(), SECURITY + ".namespace_options.ipc", false);
        ContainerSettingsFromCri.refuseUserNamespace(ns, SECURITY);
        for (Map.Entry<String, String> s : linux.getSysctlsMap().entrySet()) {
            String field = "config.linux.sysctls[" + s.getKey() + "]";
            if (s.getKey().isEmpty() || s.getKey().contains("/") || s.getKey().contains("..")) {
                throw BackendException.invalidArgument("%s: not a sysctl name", field);
            }
            if (s.getKey().startsWith("net.") && network == NamespaceMode.NODE) {
                throw BackendException.invalidArgument("%s: net.* sysctls are not allowed for a pod on the node's network",
                        field);
            }
        }
        ResourceSettings resources = linux.hasResources()
                ? ContainerSettingsFromCri.resources(linux.getResources(), "config.linux.resources") : ResourceSettings.NONE;
        ResourceSettings overhead = linux.hasOverhead()
                ? ContainerSettingsFromCri.resources(linux.getOverhead(), "config.linux.overhead") : ResourceSettings.NONE;
        return new PodSettings(pod.name(), pod.namespace(), pod.uid(), pod.attempt(), hostname(config.getHostname(), node),
                config.getLogDirectory(), dnsSettings, config.getLabelsMap(), config.getAnnotationsMap(),
                linux.getCgroupParent(), linux.getSysctlsMap(), network, pid, ipc,
                sc.hasRunAsUser() ? id(sc.getRunAsUser().getValue(), SECURITY + ".run_as_user") : -1,
                sc.hasRunAsGroup() ? id(sc.getRunAsGroup().getValue(), SECURITY + ".run_as_group") : -1,
                sc.getReadonlyRootfs(), ContainerSettingsFromCri.groups(sc.getSupplementalGroupsList(), SECURITY),
                sc.getPrivileged(),
                ContainerSettingsFromCri.seccomp(sc.hasSeccomp(), sc.getSeccomp(), sc.getSeccompProfilePath(), SECURITY),
                ContainerSettingsFromCri.apparmor(sc.hasApparmor(), sc.getApparmor(), "", SECURITY), resources, overhead);
    }

    /**
     * The pod's hostname: the requested one when valid, the node's when none is requested (as containerd
     * and CRI-O do; the kubelet always sends one, other clients such as crictl and critest often do not).
     */
    static String hostname(String requested, Supplier<String> node) {
        if (requested.isEmpty()) {
            return node.get();
        }
        int bytes = requested.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > HOSTNAME_MAX) {
            throw BackendException.invalidArgument("config.hostname: %d bytes, longer than the %d a hostname may have", bytes,
                    HOSTNAME_MAX);
        }
        if (!HOSTNAME.matcher(requested).matches()) {
            throw BackendException.invalidArgument(
                    "config.hostname: %s is not a valid hostname (RFC 1123: letters, digits, '-' inside labels, '.' between)",
                    requested);
        }
        return requested;
    }

    /** A pod-level namespace mode: POD or NODE (and CONTAINER for pid). */
    private static NamespaceMode mode(io.crisp.cri.v1.NamespaceMode mode, String field, boolean containerAllowed) {
        return switch (mode) {
            case POD -> NamespaceMode.POD;
            case NODE -> NamespaceMode.NODE;
            case CONTAINER -> {
                if (!containerAllowed) {
                    throw BackendException.invalidArgument("%s: CONTAINER is not a pod-level mode (use POD or NODE)", field);
                }
                yield NamespaceMode.CONTAINER;
            }
            default -> throw BackendException.invalidArgument("%s: %s is not a pod-level mode (use POD or NODE)", field, mode);
        };
    }

    static long id(long value, String field) {
        if (value < 0 || value > 0xFFFFFFFEL) {
            throw BackendException.invalidArgument("%s: %d is not a valid id", field, value);
        }
        return value;
    }
}
