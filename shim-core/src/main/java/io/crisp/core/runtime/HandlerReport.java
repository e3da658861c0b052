package io.crisp.core.runtime;

import static java.util.Objects.requireNonNull;

/** One entry of CRI {@code StatusResponse.runtime_handlers}; the name "" is the default handler. */
public record HandlerReport(String name, boolean recursiveReadOnlyMounts, boolean userNamespaces) {
    public HandlerReport {
        requireNonNull(name, "name is null");
    }
}
