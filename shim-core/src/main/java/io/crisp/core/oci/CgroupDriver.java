package io.crisp.core.oci;

/**
 * How cgroup paths are written in the generated specs: a cgroupfs path
 * ({@code /crisp/crisp-<id>}) or a systemd {@code slice:prefix:name} triple.
 */
public enum CgroupDriver {
    CGROUPFS, SYSTEMD
}
