package io.crisp.spi;

/**
 * Who manages the cgroups of pods and containers, as the daemon's {@code cgroup_driver} says (and
 * the kubelet's {@code cgroupDriver} must match). It decides the form of the
 * {@link io.crisp.spi.model.ContainerSpec#cgroupsPath() cgroupsPath} the core writes:
 * <ul>
 *   <li>{@link #CGROUPFS}: a path under the cgroup mount, {@code /kubepods/.../crisp-<id>}; the OCI
 *       runtime creates the directories itself.</li>
 *   <li>{@link #SYSTEMD}: {@code slice:prefix:name}, e.g. {@code kubepods-besteffort-pod1.slice:crisp:<id>};
 *       the runtime asks systemd (over D-Bus) for a transient scope {@code prefix-name.scope} in that
 *       slice. runc needs {@code --systemd-cgroup} for this form, conmon {@code --systemd-cgroup},
 *       and a containerd runc shim the option {@code SystemdCgroup = true}.</li>
 * </ul>
 * A backend that cannot honour {@link #SYSTEMD} refuses to be created (a {@link BackendException}
 * naming its handler) rather than failing each pod.
 */
public enum CgroupDriver {
    CGROUPFS,
    SYSTEMD
}
