package io.crisp.core.oci;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * What the spec generator needs to know about the host, read once: the daemon's own oom_score_adj
 * (a lower one cannot be given to containers without CAP_SYS_RESOURCE), whether AppArmor is enabled and
 * which profiles are loaded, whether cgroup v2 is the unified hierarchy, and the daemon's capability
 * bounding set ({@code CapBnd}: bit n set when capability n may be granted; "all capabilities" means these,
 * since the runtime cannot give a container what its caller does not hold).
 */
public record HostFacts(int ownOomScoreAdj, boolean apparmorEnabled, Set<String> apparmorProfiles, boolean cgroupV2,
        long boundingSet) {
    public HostFacts {
        apparmorProfiles = Set.copyOf(apparmorProfiles);
    }

    /** Reads the facts of this machine. */
    public static HostFacts read() {
        int oom = (int) number(Path.of("/proc/self/oom_score_adj"), 0);
        boolean apparmor = text(Path.of("/sys/module/apparmor/parameters/enabled")).startsWith("Y");
        Set<String> profiles = new HashSet<>();
        if (apparmor) {
            // Lines look like "crisp-default (enforce)".
            text(Path.of("/sys/kernel/security/apparmor/profiles")).lines()
                    .map(l -> l.replaceAll("\\s*\\([a-z]+\\)$", "")).forEach(profiles::add);
        }
        boolean v2 = Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
        return new HostFacts(oom, apparmor, profiles, v2, boundingSet(text(Path.of("/proc/self/status"))));
    }

    /** The {@code CapBnd} mask of a /proc/PID/status text; every known capability when the line is missing. */
    static long boundingSet(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("CapBnd:")) {
                return Long.parseUnsignedLong(line.substring("CapBnd:".length()).trim(), 16);
            }
        }
        return Capabilities.KNOWN_MASK;
    }

    private static long number(Path file, long fallback) {
        try {
            return Long.parseLong(text(file).trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** Whole file text; read through a stream because Files.readString truncates some /proc files. */
    private static String text(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
