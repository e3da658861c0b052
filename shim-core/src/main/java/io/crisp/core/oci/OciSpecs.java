package io.crisp.core.oci;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.core.state.AtomicFiles;
import io.crisp.core.state.Json;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generates OCI runtime spec documents (config.json, runtime-spec 1.0.2, as runc 1.1 reads them) for a
 * pod's infra process and for its containers, from the CRI settings, the image config and the host facts
 * read once at construction. Thread-safe.
 *
 * <p>The infra (pause) process creates the pod's namespaces and carries the pod's sysctls (all of them:
 * the namespaced sysctls belong to the net, ipc and uts namespaces the containers join); containers join
 * its namespaces through /proc/&lt;infraPid&gt;/ns/*. A pod without an infra process has its namespaces
 * pinned to files instead ({@link PodNamespacePaths}), with the hostname and sysctls applied there.
 */
public final class OciSpecs {
    private static final Logger log = LoggerFactory.getLogger(OciSpecs.class);
    private static final ObjectMapper JSON = Json.MAPPER;
    /** The OOM score adjustment containerd gives the infra process. */
    static final int SANDBOX_OOM_SCORE_ADJ = -998;

    private final CgroupDriver driver;
    private final HostFacts host;
    private final SpecSecurity security;
    private final SpecResources resources;
    private final AtomicBoolean warnedOom = new AtomicBoolean();

    /** Reads the host facts (own oom_score_adj, AppArmor, cgroup version, last capability) once. */
    public OciSpecs(CgroupDriver driver) {
        this(driver, HostFacts.read());
    }

    /** With given host facts (tests). */
    public OciSpecs(CgroupDriver driver, HostFacts host) {
        this.driver = driver;
        this.host = host;
        this.security = new SpecSecurity(JSON, host);
        this.resources = new SpecResources(host);
    }

    /**
     * config.json of the pod's infra process: new mount namespace always; new net, ipc, uts unless the
     * pod uses the node's network (net, uts) or ipc; new pid unless the pod uses the node's pid namespace.
     * The hostname is set only with a private uts namespace (the pod's hostname: the requested one or the node's).
     * No capabilities, no_new_privileges, read-only rootfs, OOM score -998 (clamped).
     */
    public ObjectNode sandbox(String sandboxId, PodSettings pod, ImageConfigSummary pauseImage, Path rootfs, PodFiles files) {
        return sandbox(sandboxId, pod, pauseImage, rootfs, files, null);
    }

    /**
     * As above, but the infra process joins the network namespace pinned at {@code netns} (created and
     * wired by CNI before the infra starts) instead of creating one; null creates one.
     */
    public ObjectNode sandbox(String sandboxId, PodSettings pod, ImageConfigSummary pauseImage, Path rootfs, PodFiles files, Path netns) {
        String field = "config.linux.security_context";
        ObjectNode spec = base(rootfs, true);
        ObjectNode process = spec.putObject("process");
        process.put("terminal", false);
        ImageUser user = ImageUser.resolve(rootfs, pauseImage.user(), pod.runAsUser(), "", pod.runAsGroup(),
                pod.supplementalGroups(), field);
        user(process, user);
        List<String> argv;
        try {
            argv = ProcessArgs.argv(List.of(), List.of(), pauseImage);
        } catch (BackendException e) {
            throw BackendException.failedPrecondition("the pause image has neither Entrypoint nor Cmd");
        }
        strings(process.putArray("args"), argv);
        strings(process.putArray("env"), ProcessArgs.env(pauseImage.env(), List.of(), null));
        process.put("cwd", ProcessArgs.cwd("", pauseImage.workingDir()));
        security.capabilities(process, List.of(), List.of());
        process.put("noNewPrivileges", true);
        process.put("oomScoreAdj", oomScoreAdj(SANDBOX_OOM_SCORE_ADJ));
        security.apparmor(process, pod.apparmor(), pod.privileged());

        boolean hostNetwork = pod.networkMode() == NamespaceMode.NODE;
        if (!hostNetwork && !pod.hostname().isEmpty()) {
            spec.put("hostname", pod.hostname());
        }
        spec.set("mounts", new SpecMounts(JSON.createArrayNode()).standard(false).toJson());

        ObjectNode linux = spec.putObject("linux");
        ArrayNode ns = linux.putArray("namespaces");
        ns.addObject().put("type", "mount");
        if (!hostNetwork) {
            ObjectNode network = ns.addObject().put("type", "network");
            if (netns != null) {
                network.put("path", netns.toString());
            }
            ns.addObject().put("type", "uts");
        }
        if (pod.ipcMode() != NamespaceMode.NODE) {
            ns.addObject().put("type", "ipc");
        }
        if (pod.pidMode() != NamespaceMode.NODE) {
            ns.addObject().put("type", "pid");
        }
        if (host.cgroupV2()) {
            ns.addObject().put("type", "cgroup");
        }
        ObjectNode sysctl = linux.putObject("sysctl");
        pod.sysctls().forEach((k, v) -> {
            if (!(hostNetwork && k.startsWith("net."))) {
                sysctl.put(k, v);
            }
        });
        ObjectNode res = JSON.createObjectNode();
        resources.devices(linux, res, List.of(), false);
        linux.set("resources", res);
        linux.put("cgroupsPath", cgroupsPath(pod.cgroupParent(), sandboxId));
        SpecSecurity.paths(linux, List.of(), List.of());
        if (!pod.privileged()) {
            security.seccomp(linux, pod.seccomp(), List.of());
        }
        ObjectNode annotations = spec.putObject("annotations");
        pod.annotations().forEach(annotations::put);
        annotations.put(CriAnnotations.CONTAINER_TYPE, CriAnnotations.TYPE_SANDBOX);
        podAnnotations(annotations, sandboxId, pod);
        sandboxSizing(annotations, pod.resources());
        annotations.put(CriAnnotations.SANDBOX_LOG_DIRECTORY, pod.logDirectory());
        return spec;
    }

    /**
     * config.json of a container of the pod whose infra process is {@code infraPid}: joins its net, ipc
     * and uts namespaces (unless the pod uses the node's), its pid namespace for pid POD, a new one for
     * CONTAINER, the host's for NODE, {@code targetPid}'s for TARGET. Never sets a hostname.
     *
     * @throws BackendException INVALID_ARGUMENT or FAILED_PRECONDITION for users missing from the image,
     *     unreadable seccomp profiles, devices that are not devices, no command, a TARGET without target
     */
    public ObjectNode container(String containerId, String sandboxId, PodSettings pod, ContainerSettings container,
            ImageConfigSummary image, Path rootfs, PodFiles files, long infraPid, long targetPid) {
        return container(containerId, sandboxId, pod, container, image, rootfs, files, infraPid, targetPid,
                ContainerExtras.DEFAULT);
    }

    /** As above, with what the handler and the image add (host devices, image volumes). */
    public ObjectNode container(String containerId, String sandboxId, PodSettings pod, ContainerSettings container,
            ImageConfigSummary image, Path rootfs, PodFiles files, long infraPid, long targetPid, ContainerExtras extras) {
        return container(containerId, sandboxId, pod, container, image, rootfs, files, PodNamespacePaths.ofInfra(infraPid), targetPid,
                extras);
    }

    /** As above, joining the pod's namespaces at {@code podNamespaces} (an infra process's, or pinned files). */
    public ObjectNode container(String containerId, String sandboxId, PodSettings pod, ContainerSettings container,
            ImageConfigSummary image, Path rootfs, PodFiles files, PodNamespacePaths podNamespaces, long targetPid, ContainerExtras extras) {
        ContainerSecurity sec = container.security();
        String field = "config.linux.security_context";
        ObjectNode spec = base(rootfs, sec.readonlyRootfs());
        ObjectNode process = spec.putObject("process");
        process.put("terminal", container.tty());
        ImageUser user = ImageUser.resolve(rootfs, image.user(), sec.runAsUser(), sec.runAsUsername(), sec.runAsGroup(),
                sec.supplementalGroups(), field, sec.strictSupplementalGroups());
        user(process, user);
        strings(process.putArray("args"), ProcessArgs.argv(container.command(), container.args(), image));
        strings(process.putArray("env"), ProcessArgs.env(image.env(), container.envs(), user.home()));
        process.put("cwd", ProcessArgs.cwd(container.workingDir(), image.workingDir()));
        List<String> caps = sec.privileged() ? Capabilities.all(host.boundingSet())
                : Capabilities.compute(sec.addCapabilities(), sec.dropCapabilities(), host.boundingSet());
        security.capabilities(process, caps, sec.addAmbientCapabilities());
        process.put("noNewPrivileges", sec.noNewPrivs());
        process.put("oomScoreAdj", oomScoreAdj(container.resources().oomScoreAdj()));
        security.apparmor(process, sec.apparmor(), sec.privileged());

        SpecMounts mounts = new SpecMounts(JSON.createArrayNode()).standard(sec.privileged())
                .podFiles(files, pod.ipcMode() == NamespaceMode.NODE, sec.readonlyRootfs()).cri(extras.imageVolumes())
                .cri(container.mounts());
        spec.set("mounts", mounts.toJson());

        ObjectNode linux = spec.putObject("linux");
        ArrayNode ns = linux.putArray("namespaces");
        ns.addObject().put("type", "mount");
        if (pod.networkMode() != NamespaceMode.NODE) {
            ns.addObject().put("type", "network").put("path", podNamespaces.network());
            ns.addObject().put("type", "uts").put("path", podNamespaces.uts());
        }
        if (pod.ipcMode() != NamespaceMode.NODE) {
            ns.addObject().put("type", "ipc").put("path", podNamespaces.ipc());
        }
        pidNamespace(ns, pod, container, podNamespaces.pid(), targetPid);
        if (host.cgroupV2()) {
            ns.addObject().put("type", "cgroup");
        }
        if (!mounts.rootfsPropagation().isEmpty()) {
            linux.put("rootfsPropagation", mounts.rootfsPropagation());
        }
        ObjectNode res = resources.resources(container.resources());
        resources.devices(linux, res, container.devices(), sec.privileged(), extras.hostDevices());
        linux.set("resources", res);
        linux.put("cgroupsPath", cgroupsPath(pod.cgroupParent(), containerId));
        if (!sec.privileged()) {
            SpecSecurity.paths(linux, sec.maskedPaths(), sec.readonlyPaths());
            security.seccomp(linux, sec.seccomp(), caps);
        }
        ObjectNode annotations = spec.putObject("annotations");
        container.annotations().forEach(annotations::put);
        annotations.put(CriAnnotations.CONTAINER_TYPE, CriAnnotations.TYPE_CONTAINER);
        podAnnotations(annotations, sandboxId, pod);
        annotations.put(CriAnnotations.CONTAINER_NAME, container.name());
        annotations.put(CriAnnotations.IMAGE_NAME, container.image());
        return spec;
    }

    /** The OCI linux.resources object (cpu, memory, hugepageLimits, unified) as JSON, for runc update. */
    public String resourcesJson(ResourceSettings settings) {
        try {
            return JSON.writeValueAsString(resources.resources(settings));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code bundleDir/config.json} atomically. */
    public static void write(Path bundleDir, ObjectNode spec) throws IOException {
        AtomicFiles.replace(bundleDir.resolve("config.json"), JSON.writeValueAsBytes(spec)); // bundles live in the state directory
    }

    /**
     * The cgroupsPath: cgroupfs {@code <parent or /crisp>/crisp-<id>}; systemd
     * {@code <parent slice or system.slice>:crisp:<id>}.
     */
    String cgroupsPath(String parent, String id) {
        if (driver == CgroupDriver.SYSTEMD) {
            String slice = parent.isEmpty() ? "system.slice" : Path.of(parent).getFileName().toString();
            if (!slice.endsWith(".slice")) {
                throw BackendException.invalidArgument("config.linux.cgroup_parent: the systemd cgroup driver needs a"
                        + " slice name like kubepods.slice, got '%s'", parent);
            }
            return slice + ":crisp:" + id;
        }
        String base = parent.isEmpty() ? "/crisp" : parent.startsWith("/") ? parent : "/" + parent;
        return (base.endsWith("/") ? base : base + "/") + "crisp-" + id;
    }

    /** The requested score, raised to the daemon's own (with one warning) and limited to -1000..1000. */
    int oomScoreAdj(long requested) {
        long score = Math.max(-1000, Math.min(1000, requested));
        if (score < host.ownOomScoreAdj()) {
            if (warnedOom.compareAndSet(false, true)) {
                log.warn("oom_score_adj {} is below crisp's own {}; using {} (lowering it needs CAP_SYS_RESOURCE)",
                        score, host.ownOomScoreAdj(), host.ownOomScoreAdj());
            }
            score = host.ownOomScoreAdj();
        }
        return (int) score;
    }

    private static void pidNamespace(ArrayNode ns, PodSettings pod, ContainerSettings container, String podPid,
            long targetPid) {
        switch (container.pidMode()) {
            case NODE -> { }
            case CONTAINER -> ns.addObject().put("type", "pid");
            case TARGET -> {
                if (targetPid <= 0) {
                    throw BackendException.failedPrecondition("config.linux.security_context.namespace_options.target_id:"
                            + " container '%s' is not running", container.pidTargetId());
                }
                ns.addObject().put("type", "pid").put("path", "/proc/" + targetPid + "/ns/pid");
            }
            case POD -> {
                if (pod.pidMode() == NamespaceMode.NODE) {
                    return;
                }
                if (pod.pidMode() == NamespaceMode.CONTAINER) {
                    ns.addObject().put("type", "pid");
                } else if (podPid == null) {
                    throw BackendException.failedPrecondition("the pod has no infra process whose PID namespace its containers could share");
                } else {
                    ns.addObject().put("type", "pid").put("path", podPid);
                }
            }
        }
    }

    private ObjectNode base(Path rootfs, boolean readonly) {
        ObjectNode spec = JSON.createObjectNode();
        spec.put("ociVersion", "1.0.2");
        spec.putObject("root").put("path", rootfs.toAbsolutePath().toString()).put("readonly", readonly);
        return spec;
    }

    private static void user(ObjectNode process, ImageUser user) {
        ObjectNode u = process.putObject("user");
        u.put("uid", user.uid()).put("gid", user.gid());
        if (!user.additionalGids().isEmpty()) {
            ArrayNode gids = u.putArray("additionalGids");
            user.additionalGids().forEach(gids::add);
        }
    }

    private static void podAnnotations(ObjectNode annotations, String sandboxId, PodSettings pod) {
        annotations.put(CriAnnotations.SANDBOX_ID, sandboxId);
        annotations.put(CriAnnotations.SANDBOX_NAME, pod.name());
        annotations.put(CriAnnotations.SANDBOX_NAMESPACE, pod.namespace());
        annotations.put(CriAnnotations.SANDBOX_UID, pod.uid());
    }

    /**
     * containerd's sizing annotations from the pod's linux.resources, as decimal integers, when the
     * kubelet sent them (an all-zero message reads as absent: it sizes nothing either). They are the
     * core's to set: a pod annotation with one of these keys never reaches the spec.
     */
    private static void sandboxSizing(ObjectNode annotations, ResourceSettings res) {
        annotations.remove(List.of(CriAnnotations.SANDBOX_CPU_PERIOD, CriAnnotations.SANDBOX_CPU_QUOTA,
                CriAnnotations.SANDBOX_CPU_SHARES, CriAnnotations.SANDBOX_MEMORY));
        if (res.equals(ResourceSettings.NONE)) {
            return;
        }
        annotations.put(CriAnnotations.SANDBOX_CPU_PERIOD, Long.toString(res.cpuPeriod()));
        annotations.put(CriAnnotations.SANDBOX_CPU_QUOTA, Long.toString(res.cpuQuota()));
        annotations.put(CriAnnotations.SANDBOX_CPU_SHARES, Long.toString(res.cpuShares()));
        annotations.put(CriAnnotations.SANDBOX_MEMORY, Long.toString(res.memoryLimitInBytes()));
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }
}
