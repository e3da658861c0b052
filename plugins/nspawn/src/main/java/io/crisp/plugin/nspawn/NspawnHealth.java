package io.crisp.plugin.nspawn;

import io.crisp.spi.BackendHealth;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Readiness of the nspawn handler from facts read once: the systemd-nspawn binary and its version
 * (joining a network namespace by path needs systemd 240 or later), the kernel's namespaces, the
 * cgroup hierarchies, and whether the plugin's files were installed. Each failure has a reason and
 * a message saying what to do. Called on every CRI Status: no process runs here.
 */
final class NspawnHealth {
    static final int MIN_SYSTEMD = 240;
    private static final Pattern VERSION = Pattern.compile("systemd (\\d+)");

    private final NspawnConfig config;
    private final CgroupTree cgroups;
    private final CompletableFuture<String> version;
    private final int lastCap;
    private final List<String> missingNamespaces;
    private volatile Optional<String> installFailure = Optional.empty();

    NspawnHealth(NspawnConfig config, CgroupTree cgroups) {
        this.config = config;
        this.cgroups = cgroups;
        this.version = CompletableFuture.supplyAsync(() -> probeVersion(config.nspawnPath()));
        this.lastCap = readLastCap();
        this.missingNamespaces = List.of("mnt", "net", "ipc", "uts", "pid").stream()
                .filter(ns -> !Files.exists(Path.of("/proc/self/ns", ns))).toList();
    }

    void installFailed(String why) {
        installFailure = Optional.of(why);
    }

    int lastCap() {
        return lastCap;
    }

    BackendHealth check() {
        if (installFailure.isPresent()) {
            return BackendHealth.unhealthy("NspawnFilesNotInstalled", installFailure.get());
        }
        if (!missingNamespaces.isEmpty()) {
            return BackendHealth.unhealthy("KernelNamespacesMissing", "the kernel lacks namespaces " + missingNamespaces
                    + " (/proc/self/ns); a pod machine needs mnt, net, ipc, uts and pid");
        }
        if (cgroups.isEmpty()) {
            return BackendHealth.unhealthy("CgroupsNotMounted", "no cgroup hierarchy is mounted (/proc/self/mountinfo)");
        }
        String v = version.getNow(null);
        if (v != null) {
            Matcher m = VERSION.matcher(v);
            if (!m.find()) {
                return BackendHealth.unhealthy("NspawnVersionUnknown", config.nspawnPath() + " --version said: " + v);
            }
            if (Integer.parseInt(m.group(1)) < MIN_SYSTEMD) {
                return BackendHealth.unhealthy("NspawnTooOld", config.nspawnPath() + " is systemd " + m.group(1)
                        + "; the nspawn handler needs " + MIN_SYSTEMD + " or later (--network-namespace-path)");
            }
        }
        return BackendHealth.healthy();
    }

    Map<String, String> describe() {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("nspawn_path", config.nspawnPath().toString());
        facts.put("nspawn_version", version.getNow("probing"));
        facts.put("pod_model", "one systemd-nspawn machine per pod; containers are apps inside it");
        facts.put("cgroup_hierarchies", Integer.toString(cgroups.hierarchies().size()));
        return facts;
    }

    private static String probeVersion(Path nspawn) {
        if (!Files.isExecutable(nspawn)) {
            return "unavailable: " + nspawn + " is not executable";
        }
        try {
            Process p = new ProcessBuilder(nspawn.toString(), "--version").redirectErrorStream(true).start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "unavailable: --version did not finish in 5s";
            }
            return out.lines().findFirst().orElse("unknown").trim();
        } catch (IOException e) {
            return "unavailable: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unavailable: interrupted";
        }
    }

    private static int readLastCap() {
        try {
            // Not Files.readString: on this JDK it returned "4" of "40" from a size-0 /proc/sys file.
            return Integer.parseInt(String.join("", Files.readAllLines(Path.of("/proc/sys/kernel/cap_last_cap"))).trim());
        } catch (IOException | NumberFormatException e) {
            return AppLaunch.CAP_NAMES.size() - 1;
        }
    }
}
