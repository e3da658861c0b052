package io.crisp.core.oci;

/** The spec annotation keys containerd and CRI-O set, which VM runtimes and hooks read. */
public final class CriAnnotations {
    public static final String CONTAINER_TYPE = "io.kubernetes.cri.container-type";
    public static final String TYPE_SANDBOX = "sandbox";
    public static final String TYPE_CONTAINER = "container";
    public static final String SANDBOX_ID = "io.kubernetes.cri.sandbox-id";
    public static final String SANDBOX_NAME = "io.kubernetes.cri.sandbox-name";
    public static final String SANDBOX_NAMESPACE = "io.kubernetes.cri.sandbox-namespace";
    public static final String SANDBOX_UID = "io.kubernetes.cri.sandbox-uid";
    /**
     * containerd's sandbox sizing keys: the pod's linux.resources (the kubelet's sum of its containers'
     * limits), set on the sandbox spec only and only when the kubelet sent them, as decimal integers. A VM
     * runtime (Kata) sizes the pod VM from them.
     */
    public static final String SANDBOX_CPU_PERIOD = "io.kubernetes.cri.sandbox-cpu-period";
    public static final String SANDBOX_CPU_QUOTA = "io.kubernetes.cri.sandbox-cpu-quota";
    public static final String SANDBOX_CPU_SHARES = "io.kubernetes.cri.sandbox-cpu-shares";
    public static final String SANDBOX_MEMORY = "io.kubernetes.cri.sandbox-memory";
    public static final String SANDBOX_LOG_DIRECTORY = "io.kubernetes.cri.sandbox-log-directory";
    public static final String CONTAINER_NAME = "io.kubernetes.cri.container-name";
    public static final String IMAGE_NAME = "io.kubernetes.cri.image-name";

    private CriAnnotations() {}
}
