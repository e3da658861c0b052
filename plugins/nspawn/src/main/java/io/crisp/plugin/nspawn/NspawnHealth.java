package io.crisp.plugin.nspawn;

import io.crisp.plugin.kit.node.BinaryProbe;
import io.crisp.spi.NodeCheck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Readiness of the nspawn handler from facts read once: the systemd-nspawn binary's version
 * (joining a network namespace by path needs systemd 240 or later), the cgroup hierarchies, and
 * whether the plugin's files were installed (the kit checks the binaries, namespaces and seccomp). Each failure has a reason and
 * a message saying what to do. Called on every CRI Status: no process runs here.
 */
final class NspawnHealth {
    static final int MIN_SYSTEMD = 240;
    private static final Pattern VERSION = Pattern.compile("systemd (\\d+)");

    private final NspawnConfig config;
    private final CgroupTree cgroups;
    private final CompletableFuture<String> version;
    private final int lastCap;
    private volatile Optional<String> installFailure = Optional.empty();

    NspawnHealth(NspawnConfig config, CgroupTree cgroups) {
        this.config = config;
        this.cgroups = cgroups;
        this.version = CompletableFuture.supplyAsync(() -> BinaryProbe.probe(config.nspawnPath(), "--version"));
        this.lastCap = readLastCap();
    }

    void installFailed(String why) {
        installFailure = Optional.of(why);
    }

    int lastCap() {
        return lastCap;
    }

    /**
     * The nspawn handler's own node checks, after the kit's (binaries, namespaces, cgroups,
     * seccomp): the plugin's files installed, then systemd-nspawn's version.
     */
    List<NodeCheck> checks() {
        List<NodeCheck> checks = new ArrayList<>();
        if (installFailure.isPresent()) {
            checks.add(NodeCheck.fail("nspawn files", "NspawnFilesNotInstalled", installFailure.get(),
                    "make the handler's state directory writable and restart crisp"));
        } else {
            checks.add(NodeCheck.ok("nspawn files", "installed"));
        }
        if (cgroups.isEmpty()) {
            checks.add(NodeCheck.fail("cgroup hierarchies", "CgroupsNotMounted", "no cgroup hierarchy is mounted (/proc/self/mountinfo)",
                    "mount the cgroup hierarchies (cgroup2 at /sys/fs/cgroup, or the v1 controllers)"));
        }
        String v = awaitVersion();
        if (v == null) {
            checks.add(NodeCheck.ok("systemd-nspawn version", "probing"));
            return checks;
        }
        Matcher m = VERSION.matcher(v);
        if (!m.find()) {
            checks.add(NodeCheck.fail("systemd-nspawn version", "NspawnVersionUnknown", config.nspawnPath() + " --version said: " + v,
                    "install systemd-container " + MIN_SYSTEMD + " or later, or set nspawn_path"));
        } else if (Integer.parseInt(m.group(1)) < MIN_SYSTEMD) {
            checks.add(NodeCheck.fail("systemd-nspawn version", "NspawnTooOld", config.nspawnPath() + " is systemd " + m.group(1)
                    + "; the nspawn handler needs " + MIN_SYSTEMD + " or later (--network-namespace-path)",
                    "install systemd-container " + MIN_SYSTEMD + " or later (Debian 11 or later has it)"));
        } else {
            checks.add(NodeCheck.ok("systemd-nspawn version", v));
        }
        return checks;
    }

    /** The version, waiting a little for the probe started with the handler; null while it runs. */
    private String awaitVersion() {
        try {
            return version.get(3, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return version.getNow(null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    Map<String, String> describe() {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("nspawn_path", config.nspawnPath().toString());
        facts.put("nspawn_version", version.getNow("probing"));
        facts.put("pod_model", "one systemd-nspawn machine per pod; containers are apps inside it");
        facts.put("cgroup_hierarchies", Integer.toString(cgroups.hierarchies().size()));
        return facts;
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
