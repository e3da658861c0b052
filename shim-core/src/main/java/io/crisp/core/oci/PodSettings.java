package io.crisp.core.oci;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything from a CRI {@code PodSandboxConfig} that the OCI specs of the pod's infra process and
 * containers are made from. Persisted as JSON by the core, so every field is a plain value: "" and -1
 * stand for "not set", collections are never null.
 *
 * @param name pod name (metadata.name)
 * @param namespace pod namespace (metadata.namespace)
 * @param uid pod UID (metadata.uid)
 * @param attempt metadata.attempt
 * @param hostname the pod's hostname: the requested one, else the node's ("" only when neither is known)
 * @param logDirectory where the kubelet wants container logs
 * @param dns DNS servers, searches, options
 * @param labels pod labels
 * @param annotations pod annotations (copied into the spec annotations)
 * @param cgroupParent linux.cgroup_parent, "" when none
 * @param sysctls linux.sysctls
 * @param networkMode network namespace: POD (own) or NODE
 * @param pidMode pid namespace: POD (shared by the pod), CONTAINER or NODE
 * @param ipcMode ipc namespace: POD or NODE
 * @param runAsUser uid of the infra process, -1 when not set
 * @param runAsGroup gid of the infra process, -1 when not set
 * @param readonlyRootfs the infra's rootfs is read-only
 * @param supplementalGroups extra gids of the infra process
 * @param privileged the pod may run privileged containers
 * @param seccomp seccomp choice for the infra process
 * @param apparmor AppArmor choice for the infra process
 * @param resources linux.resources (pod-level limits), {@link ResourceSettings#NONE} when none
 * @param overhead linux.overhead, {@link ResourceSettings#NONE} when none
 */
public record PodSettings(String name, String namespace, String uid, int attempt, String hostname, String logDirectory,
        DnsSettings dns, Map<String, String> labels, Map<String, String> annotations, String cgroupParent,
        Map<String, String> sysctls, NamespaceMode networkMode, NamespaceMode pidMode, NamespaceMode ipcMode,
        long runAsUser, long runAsGroup, boolean readonlyRootfs, List<Long> supplementalGroups, boolean privileged,
        SecurityProfile seccomp, SecurityProfile apparmor, ResourceSettings resources, ResourceSettings overhead) {
    public PodSettings {
        name = orEmpty(name);
        namespace = orEmpty(namespace);
        uid = orEmpty(uid);
        hostname = orEmpty(hostname);
        logDirectory = orEmpty(logDirectory);
        dns = dns == null ? DnsSettings.NONE : dns;
        labels = sorted(labels);
        annotations = sorted(annotations);
        cgroupParent = orEmpty(cgroupParent);
        sysctls = sorted(sysctls);
        networkMode = networkMode == null ? NamespaceMode.POD : networkMode;
        pidMode = pidMode == null ? NamespaceMode.POD : pidMode;
        ipcMode = ipcMode == null ? NamespaceMode.POD : ipcMode;
        supplementalGroups = supplementalGroups == null ? List.of() : List.copyOf(supplementalGroups);
        seccomp = seccomp == null ? SecurityProfile.UNCONFINED : seccomp;
        apparmor = apparmor == null ? SecurityProfile.UNCONFINED : apparmor;
        resources = resources == null ? ResourceSettings.NONE : resources;
        overhead = overhead == null ? ResourceSettings.NONE : overhead;
    }

    static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    static Map<String, String> sorted(Map<String, String> map) {
        return map == null ? Map.of() : Collections.unmodifiableSortedMap(new TreeMap<>(map));
    }
}
