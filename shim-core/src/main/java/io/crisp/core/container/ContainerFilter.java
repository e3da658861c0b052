package io.crisp.core.container;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.Optional;

/**
 * CRI {@code ContainerFilter} (and the container part of {@code ContainerStatsFilter}): every given
 * part must match. Ids match as prefixes, as crictl users pass short ids; labels match exactly.
 */
public record ContainerFilter(Optional<String> idPrefix, Optional<Container.State> state, Optional<String> sandboxIdPrefix,
        Map<String, String> labels) {
    public static final ContainerFilter ALL = new ContainerFilter(Optional.empty(), Optional.empty(), Optional.empty(), Map.of());

    public ContainerFilter {
        requireNonNull(idPrefix, "idPrefix is null");
        requireNonNull(state, "state is null");
        requireNonNull(sandboxIdPrefix, "sandboxIdPrefix is null");
        labels = Map.copyOf(requireNonNull(labels, "labels is null"));
    }

    public boolean matches(Container c) {
        if (idPrefix.isPresent() && !c.id().startsWith(idPrefix.get())) {
            return false;
        }
        if (state.isPresent() && state.get() != c.state()) {
            return false;
        }
        if (sandboxIdPrefix.isPresent() && !c.sandboxId().startsWith(sandboxIdPrefix.get())) {
            return false;
        }
        for (Map.Entry<String, String> label : labels.entrySet()) {
            if (!label.getValue().equals(c.settings().labels().get(label.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
