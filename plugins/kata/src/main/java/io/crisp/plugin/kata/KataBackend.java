package io.crisp.plugin.kata;

import static io.crisp.plugin.kata.ShimCalls.SIGKILL;
import static io.crisp.plugin.kata.ShimCalls.asBackend;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.crisp.plugin.kata.io.ContainerStdio;
import io.crisp.plugin.kata.io.StdioFlags;
import io.crisp.plugin.kata.io.StdioPaths;
import io.crisp.plugin.kata.proto.task.CreateTaskRequest;
import io.crisp.plugin.kata.proto.task.UpdateTaskRequest;
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
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The shim v2 handler's backend: one shim per pod, as containerd runs them. The sandbox's infra
 * container is the shim's first task (annotated {@code io.kubernetes.cri.container-type=sandbox},
 * which tells Kata to boot the VM); each container of the pod becomes another task in the same shim.
 * Everything goes over the shim's ttrpc task API; exits arrive by {@code Wait} calls (and TaskExit
 * events), OOM kills by TaskOOM events. Records on disk let a new instance reconnect to every shim
 * after a daemon restart; shims and their tasks keep running meanwhile.
 */
final class KataBackend implements RuntimeBackend {
    static final String NAMESPACE = "k8s.io";
    private static final String RESOURCES_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources";

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
    private final TaskSupervisor supervisor;
    private final KataExecs execs;

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
                        supervisor.onExit(t, exitStatus, exitedAt);
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
        this.supervisor = new TaskSupervisor(pods, tasks, files, binary, sink, stateDir);
        this.execs = new KataExecs(stateDir.resolve("exec"));
        supervisor.recover();
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
            pod.connected(ShimCalls.connect(address));
            if (config.shimCgroup().isPresent()) {
                ShimCgroup.join(pod.client().connect(id).getShimPid(), config.shimCgroup().get());
            }
            tasks.put(id, infra);
            CreateTaskRequest.Builder create = CreateTaskRequest.newBuilder().setId(id).setBundle(bundle.toString());
            taskOptions.toAny().ifPresent(create::setOptions);
            infra.created(pod.client().create(create.build()).getPid());
            files.writeContainer(id, infra.record());
            supervisor.start(pod, infra);
            return infra.sandboxState();
        } catch (RuntimeException e) {
            tasks.remove(id);
            if (pod != null) {
                supervisor.destroyPod(pod);
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
            supervisor.stop(infra, 15, timeout);
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
            supervisor.stop(infra, SIGKILL, Duration.ZERO);
            supervisor.delete(pod, infra);
            tasks.remove(sandboxId);
            files.deleteContainer(sandboxId);
        }
        if (pod != null) {
            supervisor.destroyPod(pod);
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
                    TaskSupervisor.resizer(pod, id), TaskSupervisor.stdinCloser(pod, id));
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
            StateFiles.deleteTreeQuietly(stateDir.resolve("io").resolve(id));
            throw asBackend(e, "container " + id + ": cannot create");
        }
    }

    @Override
    public ContainerState startContainer(String containerId) {
        Task t = requireContainer(containerId);
        if (t.phase() != ContainerState.Phase.CREATED) {
            throw BackendException.failedPrecondition("container %s is %s, not CREATED", containerId, t.phase());
        }
        supervisor.start(requirePod(t), t);
        return t.state();
    }

    @Override
    public void stopContainer(String containerId, int signal, Duration timeout) {
        Task t = tasks.get(containerId);
        if (t != null && !t.sandbox) {
            supervisor.stop(t, signal, timeout);
        }
    }

    @Override
    public void removeContainer(String containerId) {
        Task t = tasks.get(containerId);
        if (t == null || t.sandbox) {
            return;
        }
        if (t.isRunning()) {
            supervisor.stop(t, SIGKILL, Duration.ZERO);
        }
        supervisor.delete(pods.get(t.sandboxId), t);
        ContainerStdio stdio = t.stdio;
        if (stdio != null) {
            stdio.close();
        }
        tasks.remove(containerId);
        files.deleteContainer(containerId);
        StateFiles.deleteTreeQuietly(stateDir.resolve("io").resolve(containerId));
    }

    @Override
    public ContainerState containerState(String containerId) {
        return requireContainer(containerId).state();
    }

    // ---- exec, attach ------------------------------------------------------------------------

    @Override
    public ExecResult execSync(ExecSpec spec) {
        Task t = requireRunning(spec.containerId());
        return execs.execSync(requirePod(t), t, spec);
    }

    @Override
    public StdioSession exec(StreamExecSpec spec) {
        Task t = requireRunning(spec.containerId());
        return execs.exec(requirePod(t), t, spec);
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
        supervisor.closing();
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

    // ---- lookups ------------------------------------------------------------------------------













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







}
