package io.crisp.plugin.kit.conmon;

import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.BackendHealth;
import io.crisp.spi.NodeCheck;
import io.crisp.plugin.kit.node.KernelProbes;
import io.crisp.spi.Capability;
import io.crisp.spi.CgroupDriver;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.StdioSession;
import io.crisp.plugin.kit.cgroup.CgroupStats;
import io.crisp.spi.model.CheckpointSpec;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.ContainerState;
import io.crisp.spi.model.ContainerStatsSample;
import io.crisp.spi.model.ExecResult;
import io.crisp.spi.model.ExecSpec;
import io.crisp.spi.model.SandboxSpec;
import io.crisp.spi.model.SandboxState;
import io.crisp.spi.model.StdioWiring;
import io.crisp.spi.model.StreamExecSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A backend whose every sandbox (its infra process) and every container runs as its own container
 * of an OCI-CLI program (runc, or a plugin's adapter) under its own conmon, CRI-O style. State
 * lives in memory and under the handler's state directory ({@link ContainerFiles}), from which a
 * new instance rebuilds it after a daemon restart; conmon and the containers keep running meanwhile.
 *
 * <p>A plugin creates one per handler with the program ({@link OciCliConfig}) and its
 * {@link ConmonHooks}. Every command line the program must answer, with the outputs and exit codes
 * the backend reads, is the <em>adapter protocol</em> in this package's documentation
 * ({@code package-info.java}).
 */
public final class ConmonBackend implements RuntimeBackend {
    private static final Logger LOG = LoggerFactory.getLogger(ConmonBackend.class);
    private static final int SIGTERM = 15;
    private static final int SIGKILL = 9;
    /** How long to wait for an exit after SIGKILL: generous, the kernel may be slow to reap a big process. */
    private static final Duration KILL_WAIT = Duration.ofSeconds(30);
    /** How long a stop waits for the runtime's delete that follows the exit ({@link RuntimeDeleter}). */
    private static final Duration DELETE_WAIT = Duration.ofSeconds(30);
    /** conmon's control fifo message type "reopen log files" (ctrl.c; the size fields are ignored). */
    private static final String REOPEN_LOGS = "2 0 0\n";

    private final OciCliConfig config;
    private final ConmonHooks hooks;
    private final ConmonChecks checks;
    private final ContainerFiles files;
    private final RuntimeCli cli;
    private final ConmonLauncher conmon;
    private final ExecRunner exec;
    private final TrackedObjects objects;
    private final ExitTracker exits;
    private final RuntimeDeleter deleter;
    private final ExitWatcher watcher;
    private final ContainerStatsReader stats;
    private final Optional<ConmonHooks.StatsSource> statsSource;
    private final RuntimeFeatures features;
    /** Present when the program checkpoints with CRIU ({@link OciCliConfig#criuPath()}). */
    private final Optional<CriuCheckpoints> checkpoints;
    /** CreateContainer's conmon and runtime create moved to StartContainer, when the hooks ask for it. */
    private final DeferredCreates deferred;
    private final StartRecords starts;
    /** Sandboxes without an infra process (SPI 1.5), when the hooks allow them. */
    private final PinnedSandboxes pinned;

    /**
     * A backend of handler {@code context.handlerName()} that keeps its files under {@code stateDir}
     * (the handler's state directory) and rebuilds what a previous instance left there.
     */
    public ConmonBackend(OciCliConfig programs, Path stateDir, RuntimeContext context, ConmonHooks hooks) {
        OciCliConfig config = context.cgroupDriver() == CgroupDriver.SYSTEMD ? programs.withSystemdCgroup() : programs;
        this.config = config;
        this.hooks = hooks;
        this.statsSource = hooks.stats();
        this.checks = new ConmonChecks(config, hooks, KernelProbes.system());
        // Probed now, once: the core reads capabilities() right after the backend is created.
        this.features = hooks.probeRuntimeFeatures() ? RuntimeFeatures.probe(config.runtimePath())
                : RuntimeFeatures.none(config.runtimePath().getFileName() + " is an adapter that honours neither");
        this.files = new ContainerFiles(stateDir);
        this.cli = new RuntimeCli(config);
        this.checkpoints = config.criuPath().map(criu -> new CriuCheckpoints(cli, criu));
        this.conmon = new ConmonLauncher(config, files);
        this.exec = new ExecRunner(cli);
        this.deleter = new RuntimeDeleter(cli, context.handlerName());
        this.objects = new TrackedObjects(files, this::adopt);
        this.exits = new ExitTracker(files, conmon, context.events(), objects::find, objects.all(), deleter::exitRecorded);
        this.stats = new ContainerStatsReader(CgroupStats::system, exits::refresh);
        this.starts = new StartRecords(files, cli);
        this.deferred = new DeferredCreates(hooks.deferCreateToStart(), files, conmon, cli, exits);
        try {
            files.createLayout();
            this.pinned = new PinnedSandboxes(stateDir);
            // Watch first, then load: an exit between the two is seen by one or the other.
            this.watcher = new ExitWatcher(files.exitDir(), context.handlerName(), exits);
            for (String id : files.knownIds()) {
                objects.find(id);
            }
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "handler " + context.handlerName() + ": cannot use state directory "
                    + stateDir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Set<Capability> capabilities() {
        Set<Capability> caps = EnumSet.noneOf(Capability.class);
        caps.addAll(hooks.capabilities());
        caps.addAll(features.capabilities());
        if (checkpoints.isPresent()) {
            caps.add(Capability.CHECKPOINT_RESTORE);
        }
        if (hooks.podsWithoutInfra()) {
            caps.add(Capability.PODS_WITHOUT_INFRA);
        }
        return caps;
    }

    @Override
    public List<NodeCheck> nodeChecks() {
        return checks.all();
    }

    /** The first failure of {@link #nodeChecks()}: the same checks as {@code crisp doctor}'s. */
    @Override
    public BackendHealth health() {
        return NodeCheck.health(checks.all());
    }

    @Override
    public Map<String, String> describe() {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("runtime_path", config.runtimePath().toString());
        facts.put("runtime_version", checks.runtimeVersion());
        facts.put("runtime_root", config.runtimeRoot().toString());
        facts.put("monitor_path", config.monitorPath().toString());
        facts.put("monitor_version", checks.monitorVersion());
        facts.put("cgroup_driver", config.systemdCgroup() ? "systemd (--systemd-cgroup)" : "cgroupfs");
        facts.put("feature.recursive_read_only_mounts", features.reasons().get(RuntimeFeatures.RRO));
        facts.put("feature.user_namespaces", features.reasons().get(RuntimeFeatures.IDMAP));
        facts.put("state_dir", files.exitDir().getParent().toString());
        config.criuPath().ifPresent(criu -> facts.put("criu_path", criu.toString()));
        hooks.describe().forEach(facts::putIfAbsent);
        return facts;
    }

    @Override
    public SandboxState runSandbox(SandboxSpec spec) {
        if (!spec.infra()) {
            if (!hooks.podsWithoutInfra()) {
                throw BackendException.unimplemented(getClass().getSimpleName(), "pods without an infra process on this handler");
            }
            return pinned.run(spec);
        }
        String name = "k8s_POD_" + spec.pod().name() + "_" + spec.pod().namespace();
        Tracked t = objects.register(spec.id(), true, name, spec.bundleDir(), Optional.empty(), Tracked.Stdio.NONE, spec.cgroupsPath());
        launch(t, () -> hooks.prepareSandbox(spec, spec.bundleDir()), Optional.empty());
        start(t);
        return t.sandboxState();
    }

    @Override
    public SandboxState sandboxState(String sandboxId) {
        if (pinned.contains(sandboxId)) {
            return pinned.state(sandboxId);
        }
        Tracked t = objects.require(sandboxId, "sandbox");
        refreshAndReport(t);
        return t.sandboxState();
    }

    @Override
    public void stopSandbox(String sandboxId, Duration timeout) {
        pinned.stop(sandboxId);
        objects.find(sandboxId).ifPresent(t -> stop(t, SIGTERM, timeout));
    }

    @Override
    public void removeSandbox(String sandboxId) {
        pinned.remove(sandboxId);
        removeKnownOrLeftovers(sandboxId);
    }

    @Override
    public ContainerState createContainer(ContainerSpec spec) {
        return create(spec, Optional.empty());
    }

    /** runtime {@code checkpoint} with the handler's CRIU (SPI 1.4); see {@link CriuCheckpoints}. */
    @Override
    public void checkpointContainer(CheckpointSpec spec) {
        CriuCheckpoints criu = checkpoints.orElseThrow(() -> BackendException.unimplemented(getClass().getSimpleName(), "CheckpointContainer"));
        Tracked t = requireRunning(spec.containerId(), "checkpoint");
        criu.checkpoint(t.id, spec);
    }

    /** conmon {@code --restore}: the runtime's {@code restore} instead of {@code create}; the container runs on return. */
    @Override
    public ContainerState restoreContainer(ContainerSpec spec, Path imageDir) {
        CriuCheckpoints criu = checkpoints.orElseThrow(() -> BackendException.unimplemented(getClass().getSimpleName(), "restore of a checkpoint"));
        criu.requireUsableForRestore(spec.id());
        try {
            create(spec, Optional.of(imageDir));
        } catch (BackendException e) {
            // runc writes CRIU's restore.log beside the images: its end says why.
            throw new BackendException(e.kind(), e.getMessage() + CriuCheckpoints.logTail(imageDir, "restore.log"), e);
        }
        Tracked t = objects.require(spec.id(), "container");
        starts.record(t);
        return t.containerState();
    }

    private ContainerState create(ContainerSpec spec, Optional<Path> restoreFrom) {
        requireSandboxRunning(spec);
        deferred.check(spec, restoreFrom);
        Tracked t = objects.register(spec.id(), false, spec.name(), spec.bundleDir(), spec.logPath(),
                new Tracked.Stdio(spec.stdin(), spec.stdinOnce(), spec.tty()), spec.cgroupsPath());
        launch(t, () -> hooks.prepareContainer(spec, spec.bundleDir()), restoreFrom);
        return t.containerState();
    }

    /** The container's sandbox runs: its infra process, or (without one) it was not stopped. */
    private void requireSandboxRunning(ContainerSpec spec) {
        boolean running;
        if (pinned.contains(spec.sandboxId())) {
            running = pinned.state(spec.sandboxId()).ready();
        } else {
            Tracked sandbox = objects.require(spec.sandboxId(), "sandbox");
            exits.refresh(sandbox);
            running = sandbox.running();
        }
        if (!running) {
            // Its namespaces are gone with its infra process (or its stop): runc would fail to join them.
            throw BackendException.failedPrecondition("container %s: sandbox %s is not running", spec.id(), spec.sandboxId());
        }
    }

    @Override
    public ContainerState startContainer(String containerId) {
        Tracked t = objects.require(containerId, "container");
        if (t.startedAt().isPresent()) {
            throw BackendException.failedPrecondition("container %s was started already", containerId);
        }
        if (exits.refresh(t)) {
            throw BackendException.failedPrecondition("container %s has exited; cannot start it", containerId);
        }
        if (deferred.unlaunched(t)) {
            deferred.launch(t);
        }
        start(t);
        return t.containerState();
    }

    @Override
    public void stopContainer(String containerId, int signal, Duration timeout) {
        objects.find(containerId).ifPresent(t -> stop(t, signal, timeout));
    }

    @Override
    public void removeContainer(String containerId) {
        removeKnownOrLeftovers(containerId);
    }

    /** Removes the object; an unknown one may still have files a removal cut short after its meta file went. */
    private void removeKnownOrLeftovers(String id) {
        Optional<Tracked> t = objects.find(id);
        if (t.isPresent()) {
            remove(t.get());
        } else if (ContainerFiles.validId(id)) {
            objects.deleteFiles(id);
        }
    }

    @Override
    public ContainerState containerState(String containerId) {
        Tracked t = objects.require(containerId, "container");
        refreshAndReport(t);
        return t.containerState();
    }

    /** For containers and sandboxes (their infra process) alike: both have a cgroup. */
    @Override
    public ContainerStatsSample containerStats(String id) {
        Tracked t = requireRunning(id, "read the stats of");
        if (statsSource.isPresent()) {
            return statsSource.get().read(new ConmonHooks.StatsTarget(t.id, t.sandbox, t.bundle, t.pid(), t.cgroupsPath));
        }
        return stats.read(t);
    }

    @Override
    public ExecResult execSync(ExecSpec spec) {
        Tracked t = requireRunning(spec.containerId(), "exec in");
        return exec.run(spec, files.dir(t.id));
    }

    @Override
    public StdioSession exec(StreamExecSpec spec) {
        Tracked t = requireRunning(spec.containerId(), "exec in");
        return spec.stdio().tty() ? TtyExec.start(exec, spec, files.dir(t.id)) : PipeExec.start(exec, spec, files.dir(t.id));
    }

    /**
     * Connects to conmon's attach socket by its path in the bundle: conmon's socket directory entry
     * is a symlink to the bundle, and conmon shortens that entry's name in a corner case.
     */
    @Override
    public StdioSession attach(String containerId, StdioWiring stdio) {
        Tracked t = requireRunning(containerId, "attach to");
        return ConmonAttach.open(t.id, t.bundle.resolve("attach"), t.bundle.resolve("ctl"), stdio, t.stdio, () -> {
            exits.refresh(t);
            return t.exit().map(e -> OptionalInt.of(e.code())).orElse(OptionalInt.empty());
        });
    }

    @Override
    public void updateContainerResources(String containerId, String linuxResourcesJson) {
        Tracked t = objects.require(containerId, "container");
        exits.refresh(t);
        if (t.exit().isPresent()) {
            throw BackendException.failedPrecondition("container %s has exited; cannot update its resources", containerId);
        }
        if (deferred.unlaunched(t)) {
            deferred.updateBundle(t, linuxResourcesJson);
        } else if (!hooks.updateResources(t.id, t.bundle, t.cgroupsPath, linuxResourcesJson)) {
            RuntimeCli.check(cli.update(containerId, linuxResourcesJson), containerId, "update of resources");
        }
    }

    @Override
    public void reopenContainerLog(String containerId) {
        Tracked t = requireRunning(containerId, "reopen the log of");
        if (!conmon.conmonAlive(containerId)) {
            throw BackendException.failedPrecondition("container %s: its conmon is gone; cannot reopen its log", containerId);
        }
        LogReopener.reopen(containerId, t.bundle.resolve("ctl"), REOPEN_LOGS, t.logPath);
    }

    @Override
    public void close() {
        watcher.close();
        deleter.close();
        files.close();
    }

    /** The plugin's prepare hook, then conmon + runtime create; on failure nothing of the container is left. */
    private void launch(Tracked t, Runnable prepare, Optional<Path> restoreFrom) {
        try {
            prepare.run();
            if (!deferred.defers(t, restoreFrom)) {
                t.pid(conmon.launch(t.id, t.name, t.bundle, t.logPath, t.stdio, restoreFrom));
            }
        } catch (RuntimeException e) {
            // conmon exits by itself once it has reported a failed create; waiting for that first makes
            // the cleanup a plain delete rather than a race between conmon's exit and a kill.
            conmon.awaitOrKillConmon(t.id);
            cleanUpFailed(t);
            throw e;
        }
    }

    private void start(Tracked t) {
        RuntimeCli.Result result = cli.start(t.id);
        if (!result.ok()) {
            BackendException failure = new BackendException(Kind.INTERNAL, "container " + t.id + ": runtime start failed (exit "
                    + result.exitCode() + "): " + result.output());
            if (deferred.defers(t, Optional.empty())) {
                deferred.recordStartError(t, failure.getMessage());
            } else {
                cleanUpFailed(t);
            }
            throw failure;
        }
        starts.record(t);
    }

    private void cleanUpFailed(Tracked t) {
        try {
            remove(t);
        } catch (RuntimeException e) {
            LOG.warn("container {}: cleanup after a failed create/start failed", t.id, e);
            objects.forget(t);
        }
    }

    /**
     * Stops the container and, like containerd, returns once its runtime state is deleted too (the
     * delete after the exit, {@link RuntimeDeleter}): its resources go at the stop, and the removal
     * that follows has nothing left to wait for.
     */
    private void stop(Tracked t, int signal, Duration timeout) {
        if (deferred.unlaunched(t)) {
            deferred.stopUnlaunched(t);
            return;
        }
        awaitExit(t, signal, timeout);
        deleter.awaitDeleted(t, DELETE_WAIT);
    }

    private void awaitExit(Tracked t, int signal, Duration timeout) {
        try {
            if (exits.refresh(t)) {
                return;
            }
            if (!timeout.isZero() && t.startedAt().isPresent()) {
                RuntimeCli.Result r = cli.kill(t.id, signal, false);
                if (!r.ok() && !r.saysGoneOrStopped()) {
                    RuntimeCli.check(r, t.id, "kill with signal " + signal);
                }
                if (exits.await(t, timeout)) {
                    return;
                }
                LOG.debug("container {}: still running {} after signal {}; killing", t.id, timeout, signal);
            }
            RuntimeCli.Result r = cli.kill(t.id, SIGKILL, true);
            if (!r.ok() && !r.saysGoneOrStopped()) {
                RuntimeCli.check(r, t.id, "kill --all with SIGKILL");
            }
            if (!exits.await(t, KILL_WAIT)) {
                throw new BackendException(Kind.INTERNAL, "container " + t.id + " did not exit within "
                        + KILL_WAIT.toSeconds() + "s of SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException(Kind.INTERNAL, "container " + t.id + ": interrupted while stopping", e);
        }
    }

    private void remove(Tracked t) {
        if (t.pid().isPresent() || conmon.conmonAlive(t.id)) {
            stop(t, SIGKILL, Duration.ZERO);
        }
        if (!deleter.awaitDeleted(t, DELETE_WAIT) && deferred.mayBeKnownToRuntime(t)) {
            RuntimeCli.Result r = cli.delete(t.id);
            if (!r.ok() && !r.saysGoneOrStopped()) {
                RuntimeCli.check(r, t.id, "delete");
            }
        }
        conmon.awaitOrKillConmon(t.id);
        ContainerFiles.deleteConmonFilesInBundle(t.id, t.bundle);
        hooks.removed(t.id, t.sandbox, t.bundle);
        objects.forget(t);
    }

    private void refreshAndReport(Tracked t) {
        if (exits.refresh(t)) {
            exits.report(t);
        }
    }

    /** An object rebuilt from its files (after a restart) learns the exits and starts that happened meanwhile. */
    private void adopt(Tracked t) {
        exits.refresh(t);
        starts.adoptUnrecorded(t);
        exits.settleIfLost(t);
    }

    private Tracked requireRunning(String id, String what) {
        Tracked t = objects.require(id, "container");
        exits.refresh(t);
        if (!t.running()) {
            throw BackendException.failedPrecondition("container %s is not running (%s); cannot %s it", id,
                    t.containerState().phase(), what);
        }
        return t;
    }
}
