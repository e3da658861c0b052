package io.crisp.spi.model;

import static java.util.Objects.requireNonNull;

/** Who a pod sandbox is in Kubernetes terms: the CRI {@code PodSandboxMetadata}. */
public record PodIdentity(String name, String namespace, String uid, int attempt) {
    public PodIdentity {
        requireNonNull(name, "name is null");
        requireNonNull(namespace, "namespace is null");
        requireNonNull(uid, "uid is null");
        if (attempt < 0) {
            throw new IllegalArgumentException("attempt is negative: " + attempt);
        }
    }
}
