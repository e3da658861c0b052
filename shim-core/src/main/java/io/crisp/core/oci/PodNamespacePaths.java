package io.crisp.core.oci;

/**
 * The namespace files a pod's containers join: its infra process's {@code /proc/<pid>/ns/*}, or the
 * files the core pinned for a pod without an infra process. A namespace the pod shares with the node
 * (or, for {@code pid}, one it has no shared instance of) is null.
 */
public record PodNamespacePaths(String network, String ipc, String uts, String pid) {
    /** The namespaces of the infra process {@code pid}. */
    public static PodNamespacePaths ofInfra(long pid) {
        String proc = "/proc/" + pid + "/ns/";
        return new PodNamespacePaths(proc + "net", proc + "ipc", proc + "uts", proc + "pid");
    }
}
