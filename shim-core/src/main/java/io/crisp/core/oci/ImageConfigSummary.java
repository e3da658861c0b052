package io.crisp.core.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an image's config that containers are made from (OCI image spec, {@code config}):
 * what the kubelet sees in ImageStatus and what container creation will start from. Declared here, where
 * the spec is built from it; the image package reads it from the image's config (oci does not depend on image).
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

    /** Reads the fields from an OCI image config document (its {@code config} object). */
    public static ImageConfigSummary of(JsonNode imageConfig) {
        JsonNode c = imageConfig.path("config");
        List<String> volumes = new ArrayList<>();
        c.path("Volumes").fieldNames().forEachRemaining(volumes::add);
        Map<String, String> labels = new LinkedHashMap<>();
        c.path("Labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
        return new ImageConfigSummary(c.path("User").asText(""), strings(c.path("Env")), strings(c.path("Entrypoint")), strings(c.path("Cmd")),
                c.path("WorkingDir").asText(""), c.path("StopSignal").asText(""), volumes, labels);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
