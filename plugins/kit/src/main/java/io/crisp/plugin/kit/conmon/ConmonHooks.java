package io.crisp.plugin.kit.conmon;

import io.crisp.plugin.kit.node.BinaryProbe;
import io.crisp.spi.BackendHealth;
import io.crisp.spi.Capability;
import io.crisp.spi.NodeCheck;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.ContainerStatsSample;
import io.crisp.spi.model.SandboxSpec;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What a plugin adds to a {@link ConmonBackend}: every method has a default, so a plugin overrides
 * only what its runtime needs ({@link #NONE} is plain runc). Hooks run on the caller's thread; a
 * hook refuses with a {@link io.crisp.spi.BackendException}, which the backend passes on.
 */
public interface ConmonHooks {
    /** What the base serves: the full pod lifecycle with exec, attach, resource updates, log reopen, stats. */
    Set<Capability> DEFAULT_CAPABILITIES = Collections.unmodifiableSet(EnumSet.of(Capability.POD_LIFECYCLE,
            Capability.EXEC_SYNC, Capability.EXEC, Capability.ATTACH, Capability.UPDATE_RESOURCES,
            Capability.REOPEN_LOG, Capability.STATS));

    /** No hooks: the defaults of every method. */
    ConmonHooks NONE = new ConmonHooks() {
    };

    /**
     * Called for a sandbox before conmon runs {@code create} on its bundle ({@code bundle} holds the
     * core's {@code config.json}): write the runtime's own files next to it, or refuse. When this or
     * anything after it fails, the backend removes the sandbox again ({@link #removed} runs).
     */
    default void prepareSandbox(SandboxSpec spec, Path bundle) {
    }

    /** As {@link #prepareSandbox}, for a container of a running sandbox. */
    default void prepareContainer(ContainerSpec spec, Path bundle) {
    }

    /**
     * Called on removal (also after a failed create or start, and after a daemon restart) once the
     * program's {@code delete} ran and conmon is gone, before the backend forgets the object: delete
     * what the prepare hook made. Must tolerate files that were never made; a failure fails the
     * removal, which the core retries.
     */
    default void removed(String id, boolean sandbox, Path bundle) {
    }

    /**
     * Called by UpdateContainerResources on a running container before the program's {@code update}:
     * return true when the plugin applied the OCI {@code linuxResourcesJson} itself (for example to
     * the cgroup at {@code cgroupsPath}, the spec's, empty if it had none); then {@code update} is
     * not run. False (the default) runs it.
     */
    default boolean updateResources(String id, Path bundle, Optional<String> cgroupsPath, String linuxResourcesJson) {
        return false;
    }

    /** The capabilities the handler advertises; a subset of {@link #DEFAULT_CAPABILITIES} as a rule. */
    default Set<Capability> capabilities() {
        return DEFAULT_CAPABILITIES;
    }

    /**
     * Programs the OCI-CLI program needs besides itself and conmon, each with a short note for the
     * health message (for example {@code /usr/bin/lxc-start -> "lxc-start (package lxc)"}). A missing
     * or non-executable one makes the handler unhealthy, reason {@code AdapterBinaryMissing}.
     */
    default Map<Path, String> requiredBinaries() {
        return Map.of();
    }

    /**
     * A further check, run after the binaries were found; {@link BackendHealth#healthy()} by default.
     * Superseded by {@link #nodeChecks()}, whose default reports it: override one of the two.
     */
    default BackendHealth health() {
        return BackendHealth.healthy();
    }

    /**
     * The plugin's own node checks, after the base's (the program and conmon with their versions,
     * {@link #requiredBinaries()}, {@link #namespaces()}, {@link #cgroupControllers()}, seccomp): for
     * example a version the plugin needs, or files it installs. Cheap, like
     * {@link io.crisp.spi.RuntimeBackend#nodeChecks()}. The default reports {@link #health()} when
     * it is not ready.
     */
    default List<NodeCheck> nodeChecks() {
        BackendHealth health = health();
        return health.ready() ? List.of() : List.of(NodeCheck.of(health));
    }

    /**
     * How the node check finds the OCI-CLI program and its version: by default an OCI runtime such
     * as runc ({@code --version}, reason {@code RuntimeBinaryMissing}, fix: install runc or set
     * runtime_path). A plugin whose program is its own adapter names it and its fix here.
     */
    default BinaryProbe runtimeProbe(Path runtimePath) {
        return new BinaryProbe("OCI runtime", runtimePath, "RuntimeBinaryMissing",
                "install it (apt-get install runc) or set runtime_path to an OCI runtime", "--version");
    }

    /** The namespaces the runtime creates (/proc/self/ns names); a missing one fails the handler. */
    default List<String> namespaces() {
        return List.of("mnt", "pid", "net", "ipc", "uts");
    }

    /**
     * The cgroup controllers the runtime needs (v1 names; on cgroup v2 devices, freezer and cpuacct
     * are built in); a missing one fails the handler, reason {@code CgroupControllerMissing}.
     */
    default List<String> cgroupControllers() {
        return List.of("cpu", "cpuacct", "memory", "pids", "devices", "freezer");
    }

    /**
     * Whether the program's own {@code features} document (runc 1.1+, crun) tells which optional CRI
     * features the handler honours: recursive read-only mounts ({@code rro}) and id-mapped mounts
     * (user namespaces); the backend then probes it once ({@link RuntimeFeatures}) and adds what it
     * proves to {@link #capabilities()}. True for an OCI runtime CLI run as is (the default); an
     * adapter that translates the spec for another technology answers false: the handler then
     * claims neither, with this reason in {@code describe()}.
     */
    default boolean probeRuntimeFeatures() {
        return true;
    }

    /**
     * Whether CreateContainer only checks and records a container and StartContainer runs conmon,
     * the program's {@code create} and then its {@code start} (containerd creates its task at start
     * too): a CreateContainer that costs no process, at the price of a create error surfacing at
     * StartContainer (the container then exits with reason {@code StartError}, code 128, as in
     * containerd). False (the default): conmon and {@code create} run in CreateContainer.
     * Sandboxes and restores of checkpoints are never deferred. See {@link DeferredCreates}.
     */
    default boolean deferCreateToStart() {
        return false;
    }

    /**
     * Whether the handler runs pods without an infra process when the core asks (the capability
     * {@link Capability#PODS_WITHOUT_INFRA}): the program must join the namespace files the core
     * names in each container's spec, as an OCI runtime does. False by default: an adapter that
     * maps a pod onto one unit of its own (an LXC container, say) needs the infra's bundle.
     */
    default boolean podsWithoutInfra() {
        return false;
    }

    /** Entries added to the backend's {@code describe()} after its own (runtime_path, runtime_version, ...). */
    default Map<String, String> describe() {
        return Map.of();
    }

    /**
     * Where stats come from; empty (the default) reads the cgroup at the spec's {@code cgroupsPath}
     * with the kit's cgroup readers, which fits any program that puts the container there.
     */
    default Optional<StatsSource> stats() {
        return Optional.empty();
    }

    /** Reads one sample of a running sandbox or container; throws BackendException when it cannot. */
    @FunctionalInterface
    interface StatsSource {
        ContainerStatsSample read(StatsTarget target);
    }

    /**
     * What the backend knows of the object whose stats are asked for.
     *
     * @param pid the container's init pid as the program's {@code --pid-file} gave it
     * @param cgroupsPath the spec's {@code linux.cgroupsPath}; empty if the core gave none
     */
    record StatsTarget(String id, boolean sandbox, Path bundle, OptionalLong pid, Optional<String> cgroupsPath) {
    }
}
