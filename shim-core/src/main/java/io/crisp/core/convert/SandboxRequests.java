package io.crisp.core.convert;

import io.crisp.core.network.cni.PortMapping;
import io.crisp.core.oci.PodSettings;
import io.crisp.core.sandbox.PodSandboxRequest;
import java.util.ArrayList;
import java.util.List;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.crisp.spi.BackendException;
import io.crisp.spi.model.PodIdentity;

/** CRI sandbox requests to core records, refusing what is missing with the field's name. */
public final class SandboxRequests {
    private SandboxRequests() {}

    public static PodSandboxRequest from(RunPodSandboxRequest request) {
        if (!request.hasConfig()) {
            throw BackendException.invalidArgument("config: a RunPodSandbox request needs a PodSandboxConfig");
        }
        PodSandboxConfig config = request.getConfig();
        PodIdentity identity = PodSettingsFromCri.identity(config);
        if (!config.getLogDirectory().isEmpty() && !config.getLogDirectory().startsWith("/")) {
            throw BackendException.invalidArgument("config.log_directory: %s must be an absolute path", config.getLogDirectory());
        }
        LabelSelectors.check(config.getLabelsMap(), "config.labels");
        PodSettings settings = PodSettingsFromCri.from(config);
        return new PodSandboxRequest(identity,
                settings.hostname(), config.getLogDirectory(), config.getLabelsMap(), config.getAnnotationsMap(),
                request.getRuntimeHandler(), settings, portMappings(config));
    }

    private static List<PortMapping> portMappings(PodSandboxConfig config) {
        List<PortMapping> out = new ArrayList<>();
        for (int i = 0; i < config.getPortMappingsCount(); i++) {
            io.crisp.cri.v1.PortMapping m = config.getPortMappings(i);
            String field = "config.port_mappings[" + i + "]";
            if (m.getContainerPort() <= 0 || m.getContainerPort() > 65535) {
                throw BackendException.invalidArgument("%s.container_port: %d is not a port", field, m.getContainerPort());
            }
            if (m.getHostPort() < 0 || m.getHostPort() > 65535) {
                throw BackendException.invalidArgument("%s.host_port: %d is not a port", field, m.getHostPort());
            }
            if (m.getHostPort() == 0) {
                continue; // no host port: nothing to map (the kubelet sends these for documentation)
            }
            String protocol = switch (m.getProtocol()) {
                case TCP -> "tcp";
                case UDP -> "udp";
                case SCTP -> "sctp";
                default -> throw BackendException.invalidArgument("%s.protocol: unknown value %d", field, m.getProtocolValue());
            };
            out.add(new PortMapping(protocol, m.getContainerPort(), m.getHostPort(), m.getHostIp()));
        }
        return out;
    }

    /** The {@code pod_sandbox_id} of a request (StopPodSandbox, RemovePodSandbox, PodSandboxStatus, PodSandboxStats). */
    public static String podSandboxId(String id) {
        return Fields.required(id, "pod_sandbox_id");
    }
}
