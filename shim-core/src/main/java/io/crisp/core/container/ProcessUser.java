package io.crisp.core.container;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The user a container's process runs as, after the image's passwd and group files were read: what
 * ContainerStatus reports as {@code user} (the kubelet shows it and checks supplemental groups).
 */
public record ProcessUser(long uid, long gid, List<Long> supplementalGroups) {
    public ProcessUser {
        supplementalGroups = supplementalGroups == null ? List.of() : List.copyOf(supplementalGroups);
    }

    /** From an OCI spec's {@code process.user}. */
    static ProcessUser of(JsonNode spec) {
        JsonNode user = spec.path("process").path("user");
        List<Long> groups = new ArrayList<>();
        user.path("additionalGids").forEach(g -> groups.add(g.asLong()));
        return new ProcessUser(user.path("uid").asLong(0), user.path("gid").asLong(0), groups);
    }
}
