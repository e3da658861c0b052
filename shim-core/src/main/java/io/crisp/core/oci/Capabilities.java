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

    /** A bounding-set mask with every capability of {@link #ALL}. */
    public static final long KNOWN_MASK = (1L << ALL.size()) - 1;

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
     * {@code ALL} means every capability in {@code boundingSet} (the daemon's own bounding set); the
     * default set is limited to it as well. A capability named in {@code add} is kept even when the
     * daemon lacks it, so the runtime's refusal names it rather than the container silently missing it.
     */
    public static List<String> compute(Collection<String> add, Collection<String> drop, long boundingSet) {
        Set<String> caps = new LinkedHashSet<>(limit(DEFAULT, boundingSet));
        if (add.contains("ALL")) {
            caps.addAll(all(boundingSet));
        }
        if (drop.contains("ALL")) {
            caps.clear();
        }
        drop.forEach(caps::remove);
        add.stream().filter(c -> !c.equals("ALL")).forEach(caps::add);
        return List.copyOf(caps);
    }

    /** Every capability of the daemon's bounding set (for privileged containers and add ALL). */
    public static List<String> all(long boundingSet) {
        return limit(ALL, boundingSet);
    }

    private static List<String> limit(Collection<String> caps, long boundingSet) {
        List<String> out = new ArrayList<>();
        for (String c : caps) {
            int bit = ALL.indexOf(c);
            if (bit >= 0 && (boundingSet & (1L << bit)) != 0) {
                out.add(c);
            }
        }
        return out;
    }
}
