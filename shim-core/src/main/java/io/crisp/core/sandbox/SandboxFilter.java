package io.crisp.core.sandbox;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.Optional;

/**
 * CRI {@code PodSandboxFilter}: every given part must match (they are ANDed). The id matches as a
 * prefix, as crictl users pass short ids and containerd resolves them; labels match exactly.
 */
public record SandboxFilter(Optional<String> idPrefix, Optional<Sandbox.State> state, Map<String, String> labels) {
    public static final SandboxFilter ALL = new SandboxFilter(Optional.empty(), Optional.empty(), Map.of());

    public SandboxFilter {
        requireNonNull(idPrefix, "idPrefix is null");
        requireNonNull(state, "state is null");
        labels = Map.copyOf(requireNonNull(labels, "labels is null"));
    }

    public boolean matches(Sandbox sandbox) {
        if (idPrefix.isPresent() && !sandbox.id().startsWith(idPrefix.get())) {
            return false;
        }
        if (state.isPresent() && state.get() != sandbox.state()) {
            return false;
        }
        for (Map.Entry<String, String> label : labels.entrySet()) {
            if (!label.getValue().equals(sandbox.labels().get(label.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
