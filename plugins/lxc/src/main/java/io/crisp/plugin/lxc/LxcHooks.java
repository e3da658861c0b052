package io.crisp.plugin.lxc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.plugin.kit.conmon.ConmonHooks;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.BackendHealth;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.SandboxSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What the lxc plugin adds to the kit's conmon backend: before conmon runs the adapter's
 * {@code create}, the bundle's config.json is translated into the LXC configuration and the
 * adapter's files ({@link LxcBundleFiles}); resource updates go straight into the container's
 * cgroup; readiness covers the LXC tools and the kernel features.
 */
final class LxcHooks implements ConmonHooks {
    /** The adapter translates the spec and turns neither rro mounts nor id-mapped mounts into its own. */
    @Override
    public boolean probeRuntimeFeatures() {
        return false;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final LxcConfig config;
    private final Path stateDir;
    private final Path adapter;
    private final LxcHost host;
    private final CompletableFuture<String> lxcVersion;

    LxcHooks(LxcConfig config, Path stateDir, Path adapter, LxcHost host) {
        this.config = config;
        this.stateDir = stateDir;
        this.adapter = adapter;
        this.host = host;
        this.lxcVersion = CompletableFuture.supplyAsync(() -> version(config.lxcBinDir().resolve("lxc-execute")));
    }

    @Override
    public void prepareSandbox(SandboxSpec spec, Path bundle) {
        prepare(spec.id(), bundle);
    }

    @Override
    public void prepareContainer(ContainerSpec spec, Path bundle) {
        prepare(spec.id(), bundle);
    }

    private void prepare(String id, Path bundle) {
        try {
            Path real = bundle.toRealPath();
            JsonNode spec = JSON.readTree(real.resolve("config.json").toFile());
            // conmon's persist directory, where it and the adapter's stop hook record an OOM kill.
            Path oomMarker = stateDir.resolve("objects").resolve(id).resolve("oom");
            LxcTranslator.Target target = new LxcTranslator.Target(id, real, adapter, oomMarker, LxcCgroups::namespacePath);
            LxcBundleFiles.write(real, LxcTranslator.translate(spec, target, host));
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "container " + id + ": cannot translate " + bundle.resolve("config.json")
                    + " into an LXC configuration: " + e.getMessage(), e);
        }
    }

    @Override
    public void removed(String id, boolean sandbox, Path bundle) {
        LxcBundleFiles.delete(bundle);
    }

    /** Written into the container's cgroup, where {@code lxc.cgroup.dir.container} put it (LXC has no update command). */
    @Override
    public boolean updateResources(String id, Path bundle, Optional<String> cgroupsPath, String linuxResourcesJson) {
        LxcCgroups.update(id, LxcTranslator.cgroupDir("container " + id + ": ", id, cgroupsPath.orElse("")), linuxResourcesJson,
                host);
        return true;
    }

    @Override
    public Map<Path, String> requiredBinaries() {
        Map<Path, String> binaries = new LinkedHashMap<>();
        for (String tool : new String[] {"lxc-execute", "lxc-attach", "lxc-info"}) {
            binaries.put(config.lxcBinDir().resolve(tool), tool + " (package lxc; or set lxc_bin_dir)");
        }
        binaries.put(Path.of("/bin/bash"), "bash (the adapter's interpreter)");
        binaries.put(Path.of("/usr/bin/perl"), "perl (package perl-base; the adapter's mount calls)");
        return binaries;
    }

    @Override
    public BackendHealth health() {
        return LxcHealth.check(host);
    }

    @Override
    public Map<String, String> describe() {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("lxc_version", lxcVersion.getNow("probing"));
        facts.put("lxc_path", config.lxcPath().toString());
        facts.put("lxc_bin_dir", config.lxcBinDir().toString());
        return facts;
    }

    private static String version(Path binary) {
        try {
            Process p = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readNBytes(4096), StandardCharsets.UTF_8).trim();
            }
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "unavailable: " + binary + " --version did not finish in 5s";
            }
            return out.lines().findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unavailable: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unavailable: interrupted";
        }
    }
}
