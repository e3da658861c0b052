package io.crisp.plugin.kit.conmon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.plugin.kit.Json;
import io.crisp.plugin.kit.ShortRun;
import io.crisp.spi.Capability;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The optional CRI features an OCI runtime CLI can honour, probed once per backend as containerd
 * does: {@code <runtime> features} (the OCI runtime-spec's features document, runc 1.1 and later)
 * and the kernel.
 * <ul>
 *   <li>recursive read-only mounts: the runtime lists {@code rro} in {@code mountOptions} and the
 *       kernel has mount_setattr(2) (Linux 5.12);</li>
 *   <li>id-mapped mounts, which user-namespaced pods need: {@code linux.mountExtensions.idmap.enabled}.</li>
 * </ul>
 * Each comes with the reason the probe found, for {@code describe()} (Status verbose info).
 *
 * @param capabilities the capabilities proven: a subset of RECURSIVE_READ_ONLY_MOUNTS and USER_NAMESPACES
 * @param reasons per feature key (recursive_read_only_mounts, user_namespaces): "yes: ..." or "no: ..."
 */
public record RuntimeFeatures(Set<Capability> capabilities, Map<String, String> reasons) {
    private static final ObjectMapper JSON = Json.MAPPER;
    static final String RRO = "recursive_read_only_mounts";
    static final String IDMAP = "user_namespaces";

    public RuntimeFeatures {
        capabilities = capabilities.isEmpty() ? Set.of() : Set.copyOf(capabilities);
        reasons = Map.copyOf(reasons);
    }

    /** No feature, for {@code why} (an adapter that translates the spec and honours neither). */
    public static RuntimeFeatures none(String why) {
        return new RuntimeFeatures(Set.of(), Map.of(RRO, "no: " + why, IDMAP, "no: " + why));
    }

    /** Runs {@code runtime features} (5 s at most) and reads it with this kernel's release. */
    public static RuntimeFeatures probe(Path runtime) {
        return read(runtime, featuresOutput(runtime), kernelRelease());
    }

    /**
     * Reads a features document.
     *
     * @param output what {@code runtime features} printed, or the failure as {@code "!" + message}
     * @param kernelRelease like {@code 6.1.0-13-amd64}
     */
    static RuntimeFeatures read(Path runtime, String output, String kernelRelease) {
        Set<Capability> caps = EnumSet.noneOf(Capability.class);
        Map<String, String> reasons = new LinkedHashMap<>();
        String name = runtime.getFileName().toString();
        JsonNode doc = null;
        if (output.startsWith("!")) {
            reasons.put(RRO, "no: " + output.substring(1));
            reasons.put(IDMAP, "no: " + output.substring(1));
        } else {
            try {
                doc = JSON.readTree(output);
            } catch (IOException e) {
                doc = null;
            }
            if (doc == null || !doc.isObject()) {
                String why = "no: '" + name + " features' printed no JSON document";
                reasons.put(RRO, why);
                reasons.put(IDMAP, why);
            }
        }
        if (doc != null && doc.isObject()) {
            boolean listsRro = false;
            for (JsonNode option : doc.path("mountOptions")) {
                listsRro |= option.asText().equals("rro");
            }
            boolean kernel = atLeast(kernelRelease, 5, 12);
            if (listsRro && kernel) {
                caps.add(Capability.RECURSIVE_READ_ONLY_MOUNTS);
                reasons.put(RRO, "yes: '" + name + " features' lists rro and kernel " + kernelRelease + " has mount_setattr");
            } else {
                reasons.put(RRO, "no: " + (!listsRro ? "'" + name + " features' does not list rro in mountOptions"
                        : "kernel " + kernelRelease + " has no mount_setattr (needs 5.12)"));
            }
            if (doc.path("linux").path("mountExtensions").path("idmap").path("enabled").asBoolean(false)) {
                caps.add(Capability.USER_NAMESPACES);
                reasons.put(IDMAP, "yes: '" + name + " features' has linux.mountExtensions.idmap.enabled");
            } else {
                reasons.put(IDMAP, "no: '" + name + " features' has no linux.mountExtensions.idmap.enabled = true"
                        + " (id-mapped mounts)");
            }
        }
        return new RuntimeFeatures(caps, reasons);
    }

    private static String featuresOutput(Path runtime) {
        if (!Files.isExecutable(runtime)) {
            return "!" + runtime + " is not executable";
        }
        try {
            // Drained by another thread, so that a features that never exits fails at the deadline.
            ShortRun.Result run = ShortRun.run(List.of(runtime.toString(), "features"), 1 << 20, Duration.ofSeconds(5), "features-probe");
            if (!run.finished()) {
                return "!'" + runtime.getFileName() + " features' did not finish in 5s";
            }
            String out = run.output();
            if (run.exitCode() != 0) {
                String first = out.lines().findFirst().orElse("").trim();
                return "!'" + runtime.getFileName() + " features' failed (exit " + run.exitCode() + "): " + first;
            }
            return out;
        } catch (IOException e) {
            return "!cannot run '" + runtime + " features': " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "!interrupted while probing '" + runtime + " features'";
        }
    }

    private static String kernelRelease() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Whether a release like {@code 5.15.0-91-generic} is at least major.minor. */
    static boolean atLeast(String release, int major, int minor) {
        String[] parts = release.split("[^0-9]+", 3);
        try {
            int ma = Integer.parseInt(parts[0]);
            int mi = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            return ma > major || (ma == major && mi >= minor);
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            return false;
        }
    }
}
