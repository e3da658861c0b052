package io.crisp.spi.model;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.Experimental;
import java.util.OptionalLong;

/** A sandbox as the backend sees it. {@code pid} is the infra process on the host, when there is one. */
@Experimental(settledBy = "issue 4: pod and container lifecycle")
public record SandboxState(String id, boolean ready, OptionalLong pid) {
    public SandboxState {
        requireNonNull(id, "id is null");
        requireNonNull(pid, "pid is null");
    }
}
