package io.crisp.plugin.nspawn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.plugin.kit.AtomicFiles;
import io.crisp.plugin.kit.Json;
import io.crisp.plugin.kit.conmon.ConmonHooks;
import io.crisp.plugin.kit.node.BinaryProbe;
import io.crisp.plugin.kit.seccomp.SeccompCompiler;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.NodeCheck;
import io.crisp.spi.Capability;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.SandboxSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the nspawn plugin adds to the kit's conmon backend: before conmon runs nspawn-oci's
 * {@code create}, it translates the core's config.json into {@code nspawn-launch.sh} beside it and
 * makes the object's cgroup with its limits; on removal it removes both again. A container's spec
 * names the pod's namespaces through the sandbox's pid, which here is nspawn's, outside them: they
 * are rewritten to the pod machine's init.
 */
final class NspawnHooks implements ConmonHooks {
    /** The adapter translates the spec and turns neither rro mounts nor id-mapped mounts into its own. */
    @Override
    public boolean probeRuntimeFeatures() {
        return false;
    }

    static final String LAUNCH_FILE = "nspawn-launch.sh";
    private static final ObjectMapper JSON = Json.MAPPER;
    private static final Pattern PROC_NS = Pattern.compile("/proc/([0-9]+)/ns/([a-z_]+)");

    private final NspawnConfig config;
    private final Installation installation;
    private final CgroupTree cgroups;
    private final CgroupLimits limits;
    private final NspawnHealth health;

    NspawnHooks(NspawnConfig config, Installation installation, CgroupTree cgroups, NspawnHealth health) {
        this.config = config;
        this.installation = installation;
        this.cgroups = cgroups;
        this.limits = new CgroupLimits(cgroups);
        this.health = health;
    }

    @Override
    public void prepareSandbox(SandboxSpec spec, Path bundle) {
        JsonNode spec0 = readConfig(bundle);
        String cgroupsPath = cgroupsPath(spec.cgroupsPath(), spec0);
        List<Path> dirs = cgroupsPath.isEmpty() ? List.of() : cgroups.create(cgroupsPath);
        if (!cgroupsPath.isEmpty()) {
            // The pod's device rules are not applied: nspawn itself needs devices to build the machine.
            if (spec0.path("linux").path("resources") instanceof ObjectNode original) {
                ObjectNode resources = original.deepCopy();
                resources.remove("devices");
                limits.apply(cgroupsPath, resources);
            }
        }
        write(bundle, PodLaunch.translate(spec.id(), spec0, config.nspawnPath(), installation.stage1, dirs));
    }

    @Override
    public void prepareContainer(ContainerSpec spec, Path bundle) {
        if (spec.tty()) {
            throw BackendException.unimplemented("nspawn", "CreateContainer with tty (a terminal for the app: nspawn-oci"
                    + " cannot hand conmon a console through its socket)");
        }
        JsonNode spec0 = readConfig(bundle);
        PodPids pod = PodPids.read(installation.runtimeRoot, spec.sandboxId());
        String cgroupsPath = cgroupsPath(spec.cgroupsPath(), spec0);
        // Translate first: a refused spec leaves no cgroup behind.
        String probe = AppLaunch.translate(spec0, bundle, pod::rewrite, List.of(), installation.helpers, health.lastCap());
        List<Path> dirs = List.of();
        if (!cgroupsPath.isEmpty()) {
            dirs = cgroups.create(cgroupsPath);
            limits.apply(cgroupsPath, spec0.path("linux").path("resources"));
        }
        SeccompCompiler.Filter filter = AppLaunch.seccomp(spec0);
        if (filter != null) {
            try {
                AtomicFiles.writeAtomically(bundle.resolve(AppLaunch.SECCOMP_FILE), filter.program());
            } catch (IOException e) {
                throw new BackendException(Kind.INTERNAL, "cannot write " + bundle.resolve(AppLaunch.SECCOMP_FILE) + ": "
                        + e.getMessage(), e);
            }
        }
        write(bundle, dirs.isEmpty() ? probe
                : AppLaunch.translate(spec0, bundle, pod::rewrite, dirs, installation.helpers, health.lastCap()));
    }

    @Override
    public void removed(String id, boolean sandbox, Path bundle) {
        try {
            JsonNode spec = JSON.readTree(bundle.resolve("config.json").toFile());
            String cgroupsPath = spec.path("linux").path("cgroupsPath").asText("");
            if (!cgroupsPath.isEmpty()) {
                cgroups.remove(cgroupsPath);
            }
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            // The bundle is gone: nothing of ours is left in it.
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "container " + id + ": cannot read " + bundle.resolve("config.json")
                    + " to remove its cgroup: " + e.getMessage(), e);
        }
        try {
            Files.deleteIfExists(bundle.resolve(LAUNCH_FILE));
            Files.deleteIfExists(bundle.resolve(AppLaunch.SECCOMP_FILE));
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "container " + id + ": cannot delete its launch file: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean updateResources(String id, Path bundle, Optional<String> cgroupsPath, String linuxResourcesJson) {
        if (cgroupsPath.isEmpty()) {
            throw BackendException.failedPrecondition("container %s has no cgroup to update", id);
        }
        try {
            limits.apply(cgroupsPath.get(), JSON.readTree(linuxResourcesJson));
        } catch (IOException e) {
            throw BackendException.invalidArgument("linux resources of container %s are not JSON: %s", id, e.getMessage());
        }
        return true;
    }

    @Override
    public Set<Capability> capabilities() {
        Set<Capability> caps = EnumSet.copyOf(DEFAULT_CAPABILITIES);
        caps.add(Capability.POD_LEVEL_RUNTIME);
        return caps;
    }

    @Override
    public Map<Path, String> requiredBinaries() {
        Map<Path, String> b = new LinkedHashMap<>();
        b.put(config.nspawnPath(), "systemd-nspawn (package systemd-container)");
        b.put(config.capshPath(), "capsh (package libcap2-bin)");
        b.put(config.busyboxPath(), "a static busybox (package busybox-static)");
        b.put(config.initPath(), "catatonit (package catatonit), the pod machine's init");
        for (String tool : List.of("nsenter", "unshare", "findmnt", "prlimit", "pivot_root", "mount", "umount")) {
            b.put(onPath(tool), tool + " (package util-linux)");
        }
        return b;
    }

    /** The program conmon runs is the plugin's adapter nspawn-oci, installed at start; it has no version flag. */
    @Override
    public BinaryProbe runtimeProbe(Path runtimePath) {
        return new BinaryProbe("nspawn adapter", runtimePath, "RuntimeBinaryMissing",
                "restart crisp: the nspawn plugin installs nspawn-oci there when the handler is created");
    }

    @Override
    public List<NodeCheck> nodeChecks() {
        return health.checks();
    }

    /** The pod machine's cgroup is limited through memory, cpu and pids (devices: nspawn's own rules). */
    @Override
    public List<String> cgroupControllers() {
        return List.of("memory", "cpu", "pids");
    }

    @Override
    public Map<String, String> describe() {
        return health.describe();
    }

    /** The tool in the directories nspawn-oci searches (its PATH), or where it would be. */
    static Path onPath(String tool) {
        for (String dir : List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return Path.of("/usr/bin", tool);
    }

    private static String cgroupsPath(String fromSpec, JsonNode config) {
        return fromSpec.isEmpty() ? config.path("linux").path("cgroupsPath").asText("") : fromSpec;
    }

    private static JsonNode readConfig(Path bundle) {
        try {
            return JSON.readTree(bundle.resolve("config.json").toFile());
        } catch (IOException e) {
            throw BackendException.invalidArgument("cannot read %s: %s", bundle.resolve("config.json"), e.getMessage());
        }
    }

    private static void write(Path bundle, String launch) {
        try {
            AtomicFiles.writeAtomically(bundle.resolve(LAUNCH_FILE), launch.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "cannot write " + bundle.resolve(LAUNCH_FILE) + ": " + e.getMessage(), e);
        }
    }

    /** The pod machine's pids as nspawn-oci recorded them: nspawn's (the sandbox's pid) and its init's. */
    record PodPids(long nspawn, long leader) {
        static PodPids read(Path runtimeRoot, String sandboxId) {
            Path dir = runtimeRoot.resolve(sandboxId);
            try {
                return new PodPids(Long.parseLong(Files.readString(dir.resolve("pid")).trim()),
                        Long.parseLong(Files.readString(dir.resolve("leader")).trim()));
            } catch (IOException | NumberFormatException e) {
                throw BackendException.failedPrecondition("sandbox %s: its pod machine is not known to nspawn-oci (%s)",
                        sandboxId, e.getMessage());
            }
        }

        /** {@code /proc/NSPAWN/ns/X} names the pod's namespace X: its init's. Other paths stay. */
        String rewrite(String path) {
            Matcher m = PROC_NS.matcher(path);
            if (m.matches() && Long.parseLong(m.group(1)) == nspawn) {
                return "/proc/" + leader + "/ns/" + m.group(2);
            }
            return path;
        }
    }
}
