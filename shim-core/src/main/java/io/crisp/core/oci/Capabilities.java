package io.crisp.core.oci;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Linux capability names and the capability sets of a container: the default set (what containerd and
 * CRI-O grant), CRI add/drop with or without the {@code CAP_} prefix and {@code ALL}.
 */
public final class Capabilities {
    /** Every capability the kernel defines, in number order (0 to 40). */
    public static final List<String> ALL = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
            "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
            "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
            "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN",
            "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
            "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
            "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
            "CAP_CHECKPOINT_RESTORE");

    /** The default set of an unprivileged container. */
    public static final List<String> DEFAULT = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
            "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
            "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");

    private Capabilities() {}

    /**
     * The canonical name ({@code CAP_X}, or {@code ALL}) of a name as the CRI sends it ({@code x},
     * {@code CAP_X}, {@code all}); null when it is not a capability.
     */
    public static String normalize(String name) {
        if (name == null) {
            return null;
        }
        String upper = name.trim().toUpperCase(Locale.ROOT);
        if (upper.equals("ALL")) {
            return "ALL";
        }
        String full = upper.startsWith("CAP_") ? upper : "CAP_" + upper;
        return ALL.contains(full) ? full : null;
    }

    /**
     * The bounding/effective/permitted set: the default set (or all, for add ALL; or none, for drop ALL),
     * minus the named drops, plus the named adds (an add wins over a drop of the same capability).
     * Limited to capabilities up to {@code lastCap}, the kernel's highest.
     */
    public static List<String> compute(Collection<String> add, Collection<String> drop, int lastCap) {
        Set<String> caps = new LinkedHashSet<>(DEFAULT);
        if (add.contains("ALL")) {
            caps.addAll(ALL);
        }
        if (drop.contains("ALL")) {
            caps.clear();
        }
        drop.forEach(caps::remove);
        add.stream().filter(c -> !c.equals("ALL")).forEach(caps::add);
        return limit(caps, lastCap);
    }

    /** Every capability the kernel knows (for privileged containers). */
    public static List<String> all(int lastCap) {
        return limit(ALL, lastCap);
    }

    private static List<String> limit(Collection<String> caps, int lastCap) {
        List<String> out = new ArrayList<>();
        for (String c : caps) {
            if (ALL.indexOf(c) <= lastCap) {
                out.add(c);
            }
        }
        return out;
    }
}
