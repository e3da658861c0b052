package io.crisp.core.oci;

/**
 * Whose Linux namespace a pod or container uses (CRI {@code NamespaceMode}): the pod's (shared
 * through the infra process), the container's own, the node's, or another container's ({@code TARGET},
 * pid only).
 */
public enum NamespaceMode {
    POD, CONTAINER, NODE, TARGET
}
