package io.crisp.core.image;

import java.util.List;
import java.util.Map;

/**
 * The parts of an image's config that containers are made from (OCI image spec, {@code config}):
 * what the kubelet sees in ImageStatus and what container creation will start from.
 */
public record ImageConfigSummary(String user, List<String> env, List<String> entrypoint, List<String> cmd, String workingDir,
        String stopSignal, List<String> volumes, Map<String, String> labels) {
    public ImageConfigSummary {
        user = user == null ? "" : user;
        env = env == null ? List.of() : List.copyOf(env);
        entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
        cmd = cmd == null ? List.of() : List.copyOf(cmd);
        workingDir = workingDir == null ? "" : workingDir;
        stopSignal = stopSignal == null ? "" : stopSignal;
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }
}
