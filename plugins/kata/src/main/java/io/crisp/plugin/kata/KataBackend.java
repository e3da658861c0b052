package io.crisp.plugin.kata;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.crisp.plugin.kata.io.ContainerStdio;
import io.crisp.plugin.kata.io.ExecOutput;
import io.crisp.plugin.kata.io.ExecStdio;
import io.crisp.plugin.kata.io.StdioFlags;
import io.crisp.plugin.kata.io.StdioPaths;
import io.crisp.plugin.kata.proto.task.CreateTaskRequest;
import io.crisp.plugin.kata.proto.task.ExecProcessRequest;
import io.crisp.plugin.kata.proto.task.StateResponse;
import io.crisp.plugin.kata.proto.task.UpdateTaskRequest;
import io.crisp.plugin.kata.proto.task.WaitResponse;
import io.crisp.plugin.kata.proto.types.Status;
import io.crisp.plugin.kit.FileTrees;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.BackendHealth;
import io.crisp.spi.NodeCheck;
import io.crisp.plugin.kit.node.KernelProbes;
import io.crisp.spi.Capability;
import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.StdioSession;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.ContainerState;
import io.crisp.spi.model.ContainerStatsSample;
import io.crisp.spi.model.ExecResult;
import io.crisp.spi.model.ExecSpec;
import io.crisp.spi.model.SandboxSpec;
import io.crisp.spi.model.SandboxState;
import io.crisp.spi.model.StdioWiring;
import io.crisp.spi.model.StreamExecSpec;
import io.crisp.ttrpc.Code;
import io.crisp.ttrpc.TtrpcClient;
import io.crisp.ttrpc.TtrpcException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shim v2 handler's backend: one shim per pod, as containerd runs them. The sandbox's infra
 * container is the shim's first task (annotated {@code io.kubernetes.cri.container-type=sandbox},
 * which tells Kata to boot the VM); each container of the pod becomes another task in the same shim.
 * Everything goes over the shim's ttrpc task API; exits arrive by {@code Wait} calls (and TaskExit
 * events), OOM kills by TaskOOM events. Records on disk let a new instance reconnect to every shim
 * after a daemon restart; shims and their tasks keep running meanwhile.
 */
final class KataBackend implements RuntimeBackend {
    private static final Logger LOG = LoggerFactory.getLogger(KataBackend.class);
    static final String NAMESPACE = "k8s.io";
    private static final int SIGKILL = 9;
    private static final Duration KILL_WAIT = Duration.ofSeconds(30);
    private static final Duration OOM_EVENT_GRACE = Duration.ofMillis(500);
    private static final String RESOURCES_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources";
    /** type_url of the protobuf Any holding an exec's OCI process JSON. */
    private static final String PROCESS_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Process";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KataConfig config;
    private final TaskOptions taskOptions;
    private final Optional<Path> shim;
    private final KataChecks checks;
    private final Path stateDir;
    private final String handler;
    private final ContainerEventSink sink;
    private final StateFiles files;
    private final ShimEvents events;
    private final ShimBinary binary;
    private final Map<String, Pod> pods = new ConcurrentHashMap<>();
    private final Map<String, Task> tasks = new ConcurrentHashMap<>();
    private volatile boolean closing;

    KataBackend(KataConfig config, Path stateDir, RuntimeContext context) {
        this.config = config;
        this.taskOptions = new TaskOptions(config.shimConfigPath(), context.cgroupDriver() == io.crisp.spi.CgroupDriver.SYSTEMD);
        this.shim = config.resolveShim();
        this.checks = new KataChecks(config, shim, KernelProbes.system());
        this.stateDir = stateDir;
        this.handler = context.handlerName();
        this.sink = context.events();
        try {
            this.files = new StateFiles(stateDir);
            Files.createDirectories(stateDir.resolve("io"));
            Files.createDirectories(stateDir.resolve("exec"));
            Files.createDirectories(stateDir.resolve("logs"));
            this.events = ShimEvents.listen(stateDir.resolve("events.sock"), new ShimEvents.Listener() {
                @Override
                public void taskExited(String containerId, int exitStatus, Instant exitedAt) {
                    Task t = tasks.get(containerId);
                    if (t != null) {
                        onExit(t, exitStatus, exitedAt);
                    }
                }

                @Override
                public void oomKilled(String containerId) {
                    Task t = tasks.get(containerId);
                    if (t != null) {
                        t.markOomKilled();
                    }
                }
            });
            Path publish = PublishStub.write(stateDir.resolve("publish"));
            Map<String, String> env = new LinkedHashMap<>();
            env.put("TTRPC_ADDRESS", events.socket().toString());
            config.shimConfigPath().ifPresent(p -> env.put("KATA_CONF_FILE", p.toString()));
            this.binary = new ShimBinary(shim.orElse(config.shimPath()), NAMESPACE, stateDir.resolve("crisp.sock").toString(),
                    publish, env);
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "handler " + handler + ": cannot use state directory " + stateDir
                    + ": " + e.getMessage(), e);
        }
        recover();
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.POD_LIFECYCLE, Capability.EXEC_SYNC, Capability.EXEC, Capability.ATTACH,
                Capability.UPDATE_RESOURCES, Capability.REOPEN_LOG, Capability.STATS);
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
        facts.put("shim_path", shim.map(Path::toString).orElse(config.shimPath() + " (not found)"));
        facts.put("shim_config_path", config.shimConfigPath().map(Path::toString).orElse(""));
        facts.put("shim_cgroup", config.shimCgroup().orElse(""));
        facts.put("events_socket", events.socket().toString());
        facts.put("pods", Integer.toString(pods.size()));
        return facts;
    }

    // ---- sandboxes ----------------------------------------------------------------------------

    @Override
    public SandboxState runSandbox(SandboxSpec spec) {
        String id = StateFiles.checkId(spec.id());
        if (pods.containsKey(id) || tasks.containsKey(id)) {
            throw new BackendException(Kind.ALREADY_EXISTS, "sandbox " + id + " exists already in handler " + handler);
        }
        if (shim.isEmpty()) {
            throw BackendException.unavailable("handler %s: shim %s is missing or not executable (set shim_path)", handler,
                    config.shimPath());
        }
        Path bundle = spec.bundleDir();
        ShimLog log = null;
        Pod pod = null;
        Task infra = new Task(id, id, true, bundle, Optional.empty(), false, false, false);
        try {
            log = ShimLog.start(bundle.resolve("log"), stateDir.resolve("logs").resolve(id + ".log"));
            String address = binary.start(id, bundle, null);
            pod = new Pod(id, bundle, address);
            pod.logging(log);
            files.writePod(id, pod.record());
            pods.put(id, pod);
            pod.connected(connect(address));
            if (config.shimCgroup().isPresent()) {
                ShimCgroup.join(pod.client().connect(id).getShimPid(), config.shimCgroup().get());
            }
            tasks.put(id, infra);
            CreateTaskRequest.Builder create = CreateTaskRequest.newBuilder().setId(id).setBundle(bundle.toString());
            taskOptions.toAny().ifPresent(create::setOptions);
            infra.created(pod.client().create(create.build()).getPid());
            files.writeContainer(id, infra.record());
            startTask(pod, infra);
            return infra.sandboxState();
        } catch (RuntimeException e) {
            tasks.remove(id);
            if (pod != null) {
                destroyPod(pod);
            } else if (log != null) {
                log.close();
            }
            files.deleteContainer(id);
            throw asBackend(e, "sandbox " + id + ": cannot start");
        }
    }

    @Override
    public SandboxState sandboxState(String sandboxId) {
        Task infra = tasks.get(sandboxId);
        if (infra == null || !infra.sandbox) {
            throw BackendException.notFound("sandbox %s is not known to handler %s", sandboxId, handler);
        }
        return infra.sandboxState();
    }

    @Override
    public void stopSandbox(String sandboxId, Duration timeout) {
        for (Task t : tasks.values()) {
            if (t.sandboxId.equals(sandboxId) && !t.sandbox) {
                stopContainer(t.id, SIGKILL, Duration.ZERO);
            }
        }
        Task infra = tasks.get(sandboxId);
        if (infra != null) {
            stopTask(infra, 15, timeout);
        }
    }

    @Override
    public void removeSandbox(String sandboxId) {
        for (Task t : List.copyOf(tasks.values())) {
            if (t.sandboxId.equals(sandboxId) && !t.sandbox) {
                removeContainer(t.id);
            }
        }
        Pod pod = pods.get(sandboxId);
        Task infra = tasks.get(sandboxId);
        if (infra != null) {
            stopTask(infra, SIGKILL, Duration.ZERO);
            deleteTask(pod, infra);
            tasks.remove(sandboxId);
            files.deleteContainer(sandboxId);
        }
        if (pod != null) {
            destroyPod(pod);
        }
    }

    // ---- containers ---------------------------------------------------------------------------

    @Override
    public ContainerState createContainer(ContainerSpec spec) {
        String id = StateFiles.checkId(spec.id());
        if (tasks.containsKey(id)) {
            throw new BackendException(Kind.ALREADY_EXISTS, "container " + id + " exists already in handler " + handler);
        }
        Pod pod = pods.get(spec.sandboxId());
        Task infra = tasks.get(spec.sandboxId());
        if (pod == null && infra == null) {
            throw BackendException.notFound("container %s: sandbox %s is not known to handler %s", id, spec.sandboxId(),
                    handler);
        }
        if (pod == null || infra == null || !infra.isRunning()) {
            throw BackendException.failedPrecondition("container %s: sandbox %s is not running in handler %s", id,
                    spec.sandboxId(), handler);
        }
        Task task = new Task(id, spec.sandboxId(), false, spec.bundleDir(), spec.logPath(), spec.stdin(), spec.stdinOnce(),
                spec.tty());
        ContainerStdio stdio = null;
        try {
            stdio = ContainerStdio.create(stateDir.resolve("io").resolve(id), StdioFlags.of(spec), spec.logPath(),
                    resizer(pod, id), stdinCloser(pod, id));
            task.stdio = stdio;
            tasks.put(id, task);
            files.writeContainer(id, task.record());
            StdioPaths paths = stdio.paths();
            CreateTaskRequest.Builder request = CreateTaskRequest.newBuilder().setId(id).setBundle(spec.bundleDir().toString())
                    .setTerminal(paths.terminal()).setStdin(paths.stdin()).setStdout(paths.stdout())
                    .setStderr(paths.stderr());
            taskOptions.toAny().ifPresent(request::setOptions);
            task.created(pod.client().create(request.build()).getPid());
            files.writeContainer(id, task.record());
            return task.state();
        } catch (IOException | RuntimeException e) {
            tasks.remove(id);
            files.deleteContainer(id);
            if (stdio != null) {
                stdio.close();
            }
            deleteTree(stateDir.resolve("io").resolve(id));
            throw asBackend(e, "container " + id + ": cannot create");
        }
    }

    @Override
    public ContainerState startContainer(String containerId) {
        Task t = requireContainer(containerId);
        if (t.phase() != ContainerState.Phase.CREATED) {
            throw BackendException.failedPrecondition("container %s is %s, not CREATED", containerId, t.phase());
        }
        startTask(requirePod(t), t);
        return t.state();
    }

    @Override
    public void stopContainer(String containerId, int signal, Duration timeout) {
        Task t = tasks.get(containerId);
        if (t != null && !t.sandbox) {
            stopTask(t, signal, timeout);
        }
    }

    @Override
    public void removeContainer(String containerId) {
        Task t = tasks.get(containerId);
        if (t == null || t.sandbox) {
            return;
        }
        if (t.isRunning()) {
            stopTask(t, SIGKILL, Duration.ZERO);
        }
        deleteTask(pods.get(t.sandboxId), t);
        ContainerStdio stdio = t.stdio;
        if (stdio != null) {
            stdio.close();
        }
        tasks.remove(containerId);
        files.deleteContainer(containerId);
        deleteTree(stateDir.resolve("io").resolve(containerId));
    }

    @Override
    public ContainerState containerState(String containerId) {
        return requireContainer(containerId).state();
    }

    // ---- exec, attach ------------------------------------------------------------------------

    @Override
    public ExecResult execSync(ExecSpec spec) {
        Task t = requireRunning(spec.containerId());
        Pod pod = requirePod(t);
        String execId = newExecId();
        Path dir = stateDir.resolve("exec").resolve(execId);
        // Closing the ExecStdio removes its FIFO directory.
        try (ExecStdio stdio = ExecStdio.forExecSync(dir, spec.tty())) {
            // Read while the process runs: a full pipe would stop it before it could exit.
            CompletableFuture<ExecOutput> output = stdio.collect(spec.maxOutputBytes());
            startExec(pod, t, execId, spec.processJson(), stdio.paths());
            CompletableFuture<WaitResponse> wait = pod.client().waitAsync(t.id, execId);
            WaitResponse done;
            try {
                done = spec.timeout().isZero() ? wait.get() : wait.get(spec.timeout().toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                ignoreNotFound(() -> pod.client().kill(t.id, execId, SIGKILL, false));
                awaitQuietly(wait, KILL_WAIT);
                ignoreNotFound(() -> pod.client().delete(t.id, execId));
                throw new BackendException(Kind.DEADLINE_EXCEEDED, String.format(
                        "container %s: command %s timed out after %s", t.id, spec.command().get(0), spec.timeout()));
            }
            ExecOutput out;
            try {
                out = output.get(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                // A child of the exec'd process still holds the output open: take what came.
                stdio.close();
                out = output.get(5, TimeUnit.SECONDS);
            }
            ignoreNotFound(() -> pod.client().delete(t.id, execId));
            return out.toResult((int) done.getExitStatus());
        } catch (IOException e) {
            throw execStdioFailed(t, e);
        } catch (TimeoutException e) {
            throw new BackendException(Kind.INTERNAL, "container " + t.id + ": exec output did not end", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException(Kind.INTERNAL, "container " + t.id + ": interrupted during exec", e);
        } catch (ExecutionException e) {
            throw asBackend(e.getCause(), "container " + t.id + ": exec");
        }
    }

    @Override
    public StdioSession exec(StreamExecSpec spec) {
        Task t = requireRunning(spec.containerId());
        Pod pod = requirePod(t);
        String execId = newExecId();
        Path dir = stateDir.resolve("exec").resolve(execId);
        StdioWiring wiring = spec.stdio();
        ExecStdio stdio;
        try {
            stdio = ExecStdio.create(dir, wiring);
        } catch (IOException e) {
            throw execStdioFailed(t, e);
        }
        try {
            startExec(pod, t, execId, spec.processJson(), stdio.paths());
        } catch (RuntimeException e) {
            stdio.close(); // also removes the exec's FIFO directory
            throw asBackend(e, "container " + t.id + ": exec");
        }
        CompletableFuture<Integer> exit = pod.client().waitAsync(t.id, execId)
                .thenApply(r -> (int) r.getExitStatus());
        exit.whenComplete((code, error) -> {
            if (pod.reachable()) {
                ignoreNotFoundQuietly(() -> pod.client().delete(t.id, execId));
            }
        });
        return stdio.session(exit,
                (width, height) -> ignoreNotFoundQuietly(() -> pod.client().resizePty(t.id, execId, width, height)),
                () -> ignoreNotFoundQuietly(() -> pod.client().kill(t.id, execId, SIGKILL, false)),
                () -> ignoreNotFoundQuietly(() -> pod.client().closeStdin(t.id, execId)));
    }

    @Override
    public StdioSession attach(String containerId, StdioWiring stdio) {
        Task t = requireRunning(containerId);
        ContainerStdio containerStdio = t.stdio;
        if (containerStdio == null) {
            throw BackendException.failedPrecondition("container %s: its stdio was lost in a daemon restart", containerId);
        }
        return containerStdio.attach(stdio);
    }

    // ---- stats, resources, logs ---------------------------------------------------------------

    @Override
    public ContainerStatsSample containerStats(String id) {
        Task t = tasks.get(id);
        if (t == null) {
            throw BackendException.notFound("%s is not known to handler %s", id, handler);
        }
        if (!t.isRunning()) {
            throw BackendException.failedPrecondition("%s is not running", id);
        }
        try {
            return ShimStats.sample(id, requirePod(t).client().stats(id).getStats(), System.nanoTime());
        } catch (RuntimeException e) {
            throw asBackend(e, "container " + id + ": stats");
        }
    }

    @Override
    public void updateContainerResources(String containerId, String linuxResourcesJson) {
        Task t = requireRunning(containerId);
        try {
            requirePod(t).client().update(UpdateTaskRequest.newBuilder().setId(containerId)
                    .setResources(Any.newBuilder().setTypeUrl(RESOURCES_TYPE_URL)
                            .setValue(ByteString.copyFrom(linuxResourcesJson, StandardCharsets.UTF_8)))
                    .build());
        } catch (RuntimeException e) {
            throw asBackend(e, "container " + containerId + ": update resources");
        }
    }

    @Override
    public void reopenContainerLog(String containerId) {
        Task t = requireRunning(containerId);
        ContainerStdio stdio = t.stdio;
        if (stdio == null) {
            throw BackendException.failedPrecondition("container %s: its stdio was lost in a daemon restart", containerId);
        }
        try {
            stdio.reopenLog();
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "container " + containerId + ": cannot reopen its log: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        closing = true;
        for (Pod pod : pods.values()) {
            pod.disconnect();
        }
        for (Task t : tasks.values()) {
            ContainerStdio stdio = t.stdio;
            if (stdio != null) {
                stdio.close();
            }
        }
        events.close();
    }

    // ---- internals ----------------------------------------------------------------------------

    private void startTask(Pod pod, Task t) {
        try {
            long pid = pod.client().start(t.id, "").getPid();
            t.started(pid, Instant.now());
            files.writeContainer(t.id, t.record());
            watch(pod, t);
        } catch (RuntimeException e) {
            throw asBackend(e, (t.sandbox ? "sandbox " : "container ") + t.id + ": cannot start");
        }
    }

    /** Waits for the task's exit on the shim's connection; records and reports it. */
    private void watch(Pod pod, Task t) {
        pod.client().waitAsync(t.id, "").whenComplete((response, error) -> {
            if (response != null) {
                int code = (int) response.getExitStatus();
                Instant at = Timestamps.instant(response.getExitedAt());
                if (code == 128 + SIGKILL && !t.oomKilled()) {
                    // Killed: an OOM kill's TaskOOM event travels ahead of its TaskExit on the event
                    // connection, which may lag this answer. Give the TaskExit a moment to come first.
                    CompletableFuture.delayedExecutor(OOM_EVENT_GRACE.toMillis(), TimeUnit.MILLISECONDS)
                            .execute(() -> onExit(t, code, at));
                } else {
                    onExit(t, code, at);
                }
            } else if (!closing && tasks.get(t.id) == t && !pod.reachable()) {
                // The shim is gone and took the task's supervision with it.
                LOG.warn("{} {}: lost its shim ({}); recording it as exited", t.sandbox ? "sandbox" : "container", t.id,
                        error == null ? "closed" : error.getMessage());
                onExit(t, 255, Instant.now());
            }
        });
    }

    private void onExit(Task t, int code, Instant at) {
        if (!t.exited(code, at)) {
            return;
        }
        try {
            files.writeContainer(t.id, t.record());
        } catch (UncheckedIOException e) {
            LOG.warn("container {}: cannot record its exit: {}", t.id, e.getMessage());
        }
        ContainerStdio stdio = t.stdio;
        if (stdio != null) {
            stdio.containerExited(code);
            stdio.awaitOutputDrained(Duration.ofSeconds(2));
        }
        if (t.claimReport()) {
            if (t.oomKilled()) {
                sink.oomKilled(t.id);
            }
            sink.exited(t.id, t.exit().orElseThrow());
        }
    }

    private void stopTask(Task t, int signal, Duration timeout) {
        if (!t.isRunning()) {
            return;
        }
        Pod pod = pods.get(t.sandboxId);
        if (pod == null || !pod.reachable()) {
            onExit(t, 255, Instant.now());
            return;
        }
        try {
            if (!timeout.isZero()) {
                ignoreNotFound(() -> pod.client().kill(t.id, "", signal, false));
                if (awaitExit(t, timeout)) {
                    return;
                }
            }
            ignoreNotFound(() -> pod.client().kill(t.id, "", SIGKILL, true));
            if (!awaitExit(t, KILL_WAIT)) {
                throw new BackendException(Kind.DEADLINE_EXCEEDED, "container " + t.id + " did not exit within " + KILL_WAIT
                        + " of SIGKILL");
            }
        } catch (RuntimeException e) {
            if (t.exit().isPresent()) {
                return; // it exited meanwhile (or its shim went away): stopped all the same
            }
            throw asBackend(e, "container " + t.id + ": stop");
        }
    }

    /**
     * Deletes a task for good: through its shim, or, when the shim is gone, with the shim binary's
     * {@code delete} action, which kills and removes what the dead shim left (as containerd does).
     */
    private void deleteTask(Pod pod, Task t) {
        if (pod != null && pod.reachable()) {
            try {
                pod.client().delete(t.id, "");
                return;
            } catch (TtrpcException e) {
                if (e.code() == Code.NOT_FOUND) {
                    return;
                }
                if (e.code() != Code.UNAVAILABLE) {
                    throw asBackend(e, "task " + t.id + ": delete");
                }
            } catch (BackendException e) {
                if (e.kind() != Kind.FAILED_PRECONDITION) {
                    throw e;
                }
            }
        }
        ShimBinary.Result r = binary.delete(t.id, t.bundle);
        LOG.info("{} {}: its shim is gone; shim delete exited {}{}", t.sandbox ? "sandbox" : "container", t.id, r.exitCode(),
                r.stderr().isBlank() ? "" : ": " + r.stderr().strip());
    }

    private static boolean awaitExit(Task t, Duration timeout) {
        try {
            t.exited().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    /** Runs {@code process}, the exec's OCI process JSON the core derived from the container's spec. */
    private void startExec(Pod pod, Task t, String execId, String process, StdioPaths paths) {
        if (process.isEmpty()) {
            throw BackendException.failedPrecondition("container %s: the exec carries no OCI process (a core older than SPI 1.2)", t.id);
        }
        pod.client().exec(ExecProcessRequest.newBuilder().setId(t.id).setExecId(execId).setTerminal(paths.terminal())
                .setStdin(paths.stdin()).setStdout(paths.stdout()).setStderr(paths.stderr())
                .setSpec(Any.newBuilder().setTypeUrl(PROCESS_TYPE_URL)
                        .setValue(ByteString.copyFrom(process, StandardCharsets.UTF_8)))
                .build());
        try {
            pod.client().start(t.id, execId);
        } catch (RuntimeException e) {
            ignoreNotFoundQuietly(() -> pod.client().delete(t.id, execId));
            throw e;
        }
    }

    private TaskClient connect(String address) {
        try {
            return new TaskClient(TtrpcClient.connect(address));
        } catch (IOException e) {
            throw BackendException.unavailable("cannot connect to shim at %s: %s", address, e.getMessage());
        }
    }

    /** Shuts the shim down (it exits once it holds no task), then makes sure it is gone. */
    private void destroyPod(Pod pod) {
        pods.remove(pod.id);
        if (pod.reachable()) {
            try {
                pod.client().shutdown(pod.id);
            } catch (RuntimeException e) {
                LOG.debug("sandbox {}: shim shutdown: {}", pod.id, e.getMessage());
            }
            awaitQuietly(pod.disconnected(), Duration.ofSeconds(5));
        }
        if (pod.reachable()) {
            LOG.warn("sandbox {}: its shim did not exit after Shutdown; leaving it to `{} delete`", pod.id, binary.binary());
            ShimBinary.Result r = binary.delete(pod.id, pod.bundle);
            LOG.info("sandbox {}: shim delete exited {}: {}", pod.id, r.exitCode(), r.stderr().strip());
        }
        pod.disconnect();
        files.deletePod(pod.id);
        try {
            Files.deleteIfExists(pod.bundle.resolve("log"));
            // The copy of the shim's log goes with the pod: kept, one file per pod ever run piles up.
            Files.deleteIfExists(stateDir.resolve("logs").resolve(pod.id + ".log"));
        } catch (IOException e) {
            LOG.debug("sandbox {}: {}", pod.id, e.getMessage());
        }
    }

    /** Rebuilds pods and tasks from the records, reconnecting to every shim that still serves. */
    private void recover() {
        for (String id : files.podIds()) {
            Pod pod = Pod.fromRecord(id, files.readPod(id).orElseThrow());
            pods.put(id, pod);
            try {
                pod.logging(ShimLog.resume(pod.bundle.resolve("log"), stateDir.resolve("logs").resolve(id + ".log")));
                pod.connected(connect(pod.address));
            } catch (RuntimeException e) {
                LOG.warn("sandbox {}: its shim at {} is gone ({}); its tasks count as exited", id, pod.address, e.getMessage());
            }
        }
        for (String id : files.containerIds()) {
            Task t = Task.fromRecord(id, files.readContainer(id).orElseThrow());
            tasks.put(id, t);
            Pod pod = pods.get(t.sandboxId);
            if (!t.sandbox && t.exit().isEmpty()) {
                try {
                    t.stdio = ContainerStdio.recover(stateDir.resolve("io").resolve(id),
                            new StdioFlags(t.stdin, t.stdinOnce, t.tty), t.logPath, resizer(pod, id), stdinCloser(pod, id));
                } catch (IOException | RuntimeException e) {
                    LOG.warn("container {}: cannot reopen its stdio: {}", id, e.getMessage());
                }
            }
            if (t.exit().isPresent()) {
                continue;
            }
            if (pod == null || !pod.reachable()) {
                t.exited(255, Instant.now());
                continue;
            }
            try {
                StateResponse state = pod.client().state(id, "");
                if (state.getStatus() == Status.STOPPED) {
                    t.exited((int) state.getExitStatus(), Timestamps.instant(state.getExitedAt()));
                    t.claimReport();
                    files.writeContainer(id, t.record());
                } else if (state.getStatus() == Status.RUNNING || state.getStatus() == Status.PAUSED) {
                    t.started(state.getPid(), Instant.now());
                    watch(pod, t);
                }
            } catch (RuntimeException e) {
                LOG.warn("container {}: state from its shim: {}", id, e.getMessage());
                t.exited(255, Instant.now());
            }
        }
    }

    private static io.crisp.plugin.kata.io.ResizeHandler resizer(Pod pod, String id) {
        return (width, height) -> {
            if (pod != null && pod.reachable()) {
                ignoreNotFoundQuietly(() -> pod.client().resizePty(id, "", width, height));
            }
        };
    }

    /**
     * stdin_once let go of the container's stdin: the shim closes its own end of the FIFO too (CloseIO),
     * as containerd asks it to, or the process never reads end of file.
     */
    private static Runnable stdinCloser(Pod pod, String id) {
        return () -> {
            if (pod != null && pod.reachable()) {
                ignoreNotFoundQuietly(() -> pod.client().closeStdin(id, ""));
            }
        };
    }

    private Task requireContainer(String id) {
        Task t = tasks.get(id);
        if (t == null || t.sandbox) {
            throw BackendException.notFound("container %s is not known to handler %s", id, handler);
        }
        return t;
    }

    private Task requireRunning(String id) {
        Task t = requireContainer(id);
        if (!t.isRunning()) {
            throw BackendException.failedPrecondition("container %s is not running", id);
        }
        return t;
    }

    private Pod requirePod(Task t) {
        Pod pod = pods.get(t.sandboxId);
        if (pod == null) {
            throw BackendException.failedPrecondition("container %s: sandbox %s has no shim", t.id, t.sandboxId);
        }
        return pod;
    }

    private static BackendException execStdioFailed(Task t, IOException e) {
        return new BackendException(Kind.INTERNAL, "container " + t.id + ": exec stdio: " + e.getMessage(), e);
    }

    private static String newExecId() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return "exec-" + HexFormat.of().formatHex(b);
    }

    private static void ignoreNotFound(Runnable call) {
        try {
            call.run();
        } catch (TtrpcException e) {
            if (e.code() != Code.NOT_FOUND) {
                throw e;
            }
        }
    }

    private static void ignoreNotFoundQuietly(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.debug("shim call failed: {}", e.getMessage());
        }
    }

    private static void awaitQuietly(CompletableFuture<?> future, Duration timeout) {
        try {
            future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // Best effort.
        }
    }

    static BackendException asBackend(Throwable e, String what) {
        if (e instanceof BackendException b) {
            return b;
        }
        if (e instanceof TtrpcException t) {
            Kind kind;
            switch (t.code()) {
                case NOT_FOUND -> kind = Kind.NOT_FOUND;
                case ALREADY_EXISTS -> kind = Kind.ALREADY_EXISTS;
                case INVALID_ARGUMENT -> kind = Kind.INVALID_ARGUMENT;
                case FAILED_PRECONDITION -> kind = Kind.FAILED_PRECONDITION;
                case DEADLINE_EXCEEDED -> kind = Kind.DEADLINE_EXCEEDED;
                case UNAVAILABLE -> kind = Kind.UNAVAILABLE;
                case UNIMPLEMENTED -> kind = Kind.UNIMPLEMENTED;
                case PERMISSION_DENIED -> kind = Kind.PERMISSION_DENIED;
                default -> kind = Kind.INTERNAL;
            }
            return new BackendException(kind, what + ": shim answered " + t.code() + ": " + t.detail(), t);
        }
        if (e instanceof UncheckedIOException u) {
            return new BackendException(Kind.INTERNAL, what + ": " + u.getCause().getMessage(), u);
        }
        return new BackendException(Kind.INTERNAL, what + ": " + e, e);
    }

    /** Best effort: what cannot be deleted is only logged. */
    private static void deleteTree(Path dir) {
        try {
            FileTrees.deleteTree(dir);
        } catch (IOException e) {
            LOG.debug("cannot delete {}: {}", dir, e.getMessage());
        }
    }
}
