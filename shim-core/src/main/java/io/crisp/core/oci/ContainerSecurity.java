package io.crisp.core.oci;

import java.util.List;

/**
 * A container's Linux security context (CRI {@code LinuxContainerSecurityContext}), with capability
 * names already checked and written with the {@code CAP_} prefix (or {@code ALL}).
 *
 * @param addCapabilities capabilities to add, may hold {@code ALL}
 * @param dropCapabilities capabilities to drop, may hold {@code ALL}
 * @param addAmbientCapabilities capabilities to raise as ambient
 * @param privileged all capabilities, all devices, no seccomp/AppArmor/masking
 * @param runAsUser uid, -1 when not set
 * @param runAsGroup gid, -1 when not set
 * @param runAsUsername user name looked up in the image's /etc/passwd, "" when not set
 * @param readonlyRootfs the rootfs is mounted read-only
 * @param supplementalGroups extra gids
 * @param noNewPrivs set no_new_privileges
 * @param maskedPaths paths to mask; empty means the default list
 * @param readonlyPaths paths to make read-only; empty means the default list
 * @param seccomp seccomp choice
 * @param apparmor AppArmor choice
 * @param strictSupplementalGroups {@code supplemental_groups_policy = Strict}: the process gets only
 *     run_as_group and supplementalGroups, not the groups the image's /etc/group gives its user
 *     (Merge, the default, adds those)
 */
public record ContainerSecurity(List<String> addCapabilities, List<String> dropCapabilities,
        List<String> addAmbientCapabilities, boolean privileged, long runAsUser, long runAsGroup, String runAsUsername,
        boolean readonlyRootfs, List<Long> supplementalGroups, boolean noNewPrivs, List<String> maskedPaths,
        List<String> readonlyPaths, SecurityProfile seccomp, SecurityProfile apparmor, boolean strictSupplementalGroups) {
    /** No security context at all: default capabilities, image user, unconfined seccomp. */
    public static final ContainerSecurity DEFAULT = new ContainerSecurity(List.of(), List.of(), List.of(), false, -1, -1,
            "", false, List.of(), false, List.of(), List.of(), SecurityProfile.UNCONFINED, SecurityProfile.UNCONFINED);

    public ContainerSecurity {
        addCapabilities = copy(addCapabilities);
        dropCapabilities = copy(dropCapabilities);
        addAmbientCapabilities = copy(addAmbientCapabilities);
        runAsUsername = runAsUsername == null ? "" : runAsUsername;
        supplementalGroups = supplementalGroups == null ? List.of() : List.copyOf(supplementalGroups);
        maskedPaths = copy(maskedPaths);
        readonlyPaths = copy(readonlyPaths);
        seccomp = seccomp == null ? SecurityProfile.UNCONFINED : seccomp;
        apparmor = apparmor == null ? SecurityProfile.UNCONFINED : apparmor;
    }

    /** With the Merge policy. */
    public ContainerSecurity(List<String> addCapabilities, List<String> dropCapabilities,
            List<String> addAmbientCapabilities, boolean privileged, long runAsUser, long runAsGroup, String runAsUsername,
            boolean readonlyRootfs, List<Long> supplementalGroups, boolean noNewPrivs, List<String> maskedPaths,
            List<String> readonlyPaths, SecurityProfile seccomp, SecurityProfile apparmor) {
        this(addCapabilities, dropCapabilities, addAmbientCapabilities, privileged, runAsUser, runAsGroup, runAsUsername,
                readonlyRootfs, supplementalGroups, noNewPrivs, maskedPaths, readonlyPaths, seccomp, apparmor, false);
    }

    private static List<String> copy(List<String> list) {
        return list == null ? List.of() : List.copyOf(list);
    }
}
