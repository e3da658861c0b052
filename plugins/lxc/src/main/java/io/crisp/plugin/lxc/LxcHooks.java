package io.crisp.plugin.lxc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.plugin.kit.Json;
import io.crisp.plugin.kit.conmon.ConmonHooks;
import io.crisp.plugin.kit.node.BinaryProbe;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.NodeCheck;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.SandboxSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

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

    private static final ObjectMapper JSON = Json.MAPPER;

    private final LxcConfig config;
    private final Path stateDir;
    private final Path adapter;
    private final LxcHost host;
    private final BinaryProbe lxc;

    LxcHooks(LxcConfig config, Path stateDir, Path adapter, LxcHost host) {
        this.config = config;
        this.stateDir = stateDir;
        this.adapter = adapter;
        this.host = host;
        this.lxc = new BinaryProbe("LXC", config.lxcBinDir().resolve("lxc-execute"), "AdapterBinaryMissing",
                "install lxc (apt-get install lxc) or set lxc_bin_dir", "--version");
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

    /** The program conmon runs is the plugin's adapter, installed into the state directory at start. */
    @Override
    public BinaryProbe runtimeProbe(Path runtimePath) {
        return new BinaryProbe("lxc adapter", runtimePath, "RuntimeBinaryMissing",
                "restart crisp: the lxc plugin installs crisp-lxc-oci there when the handler is created", "--version");
    }

    /** The LXC version, once lxc-execute is there (its absence is a required binary's failure). */
    @Override
    public List<NodeCheck> nodeChecks() {
        return Files.isExecutable(lxc.path()) ? List.of(lxc.check()) : List.of();
    }

    /** LXC limits and accounts memory, cpu and pids; the base checks namespaces and seccomp. */
    @Override
    public List<String> cgroupControllers() {
        return List.of("memory", "cpu", "pids");
    }

    @Override
    public Map<String, String> describe() {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("lxc_version", lxc.version());
        facts.put("lxc_path", config.lxcPath().toString());
        facts.put("lxc_bin_dir", config.lxcBinDir().toString());
        return facts;
    }
}
