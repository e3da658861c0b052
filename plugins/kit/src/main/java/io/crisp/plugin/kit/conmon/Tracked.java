package io.crisp.plugin.kit.conmon;

import io.crisp.plugin.kit.cgroup.CgroupStats;
import io.crisp.spi.model.ContainerState;
import io.crisp.spi.model.ContainerState.Phase;
import io.crisp.spi.model.ExitStatus;
import io.crisp.spi.model.SandboxState;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;

/**
 * A sandbox's infra container or a workload container, as the backend remembers it. The fixed
 * part is in {@code meta.properties}; pid, start and exit are read back from their own files.
 * Mutable fields are guarded by the object's monitor, which also signals exits to waiters.
 */
final class Tracked {
    /**
     * How the container's own stdio was created (CRI {@code stdin}, {@code stdin_once}, {@code tty});
     * attach needs it, and conmon was started with the matching flags.
     */
    record Stdio(boolean stdin, boolean stdinOnce, boolean tty) {
        static final Stdio NONE = new Stdio(false, false, false);
    }

    final String id;
    final boolean sandbox;
    final String name;
    final Path bundle;
    final Path logPath;
    final Stdio stdio;
    /** The bundle's {@code linux.cgroupsPath} at create time; empty if it had none (or predates this field). */
    final Optional<String> cgroupsPath;

    /** The cgroup's directories, found on the first stats sample ({@link ContainerStatsReader}). */
    volatile CgroupStats.Location cgroup;

    private long pid;
    private Instant startedAt;
    private ExitStatus exit;
    private boolean exitReported;
    /** The runtime's delete, started once the exit was recorded; completes with whether it deleted. */
    private java.util.concurrent.CompletableFuture<Boolean> runtimeDeletion;

    Tracked(String id, boolean sandbox, String name, Path bundle, Path logPath, Stdio stdio) {
        this(id, sandbox, name, bundle, logPath, stdio, Optional.empty());
    }

    Tracked(String id, boolean sandbox, String name, Path bundle, Path logPath, Stdio stdio, Optional<String> cgroupsPath) {
        this.id = id;
        this.cgroupsPath = cgroupsPath;
        this.stdio = stdio;
        this.sandbox = sandbox;
        this.name = name;
        this.bundle = bundle;
        this.logPath = logPath;
    }

    Properties toMeta() {
        Properties p = new Properties();
        p.setProperty("kind", sandbox ? "sandbox" : "container");
        p.setProperty("name", name);
        p.setProperty("bundle", bundle.toString());
        p.setProperty("log", logPath.toString());
        p.setProperty("stdin", Boolean.toString(stdio.stdin()));
        p.setProperty("stdinOnce", Boolean.toString(stdio.stdinOnce()));
        p.setProperty("tty", Boolean.toString(stdio.tty()));
        cgroupsPath.ifPresent(c -> p.setProperty("cgroupsPath", c));
        return p;
    }

    /** The object as its files under the state directory describe it; empty if it has no meta file. */
    static Optional<Tracked> load(ContainerFiles files, String id) throws IOException {
        Optional<Properties> meta = files.readMeta(id);
        if (meta.isEmpty()) {
            return Optional.empty();
        }
        Tracked t = fromMeta(id, meta.get());
        ContainerFiles.readPid(files.pidFile(id)).ifPresent(t::pid);
        files.readStarted(id).ifPresent(t::started);
        return Optional.of(t);
    }

    static Tracked fromMeta(String id, Properties p) {
        return new Tracked(id, "sandbox".equals(p.getProperty("kind")), p.getProperty("name", id),
                Path.of(p.getProperty("bundle")), Path.of(p.getProperty("log")),
                new Stdio(flag(p, "stdin"), flag(p, "stdinOnce"), flag(p, "tty")),
                Optional.ofNullable(p.getProperty("cgroupsPath")));
    }

    /** Absent in the meta files of objects created before the flag existed: false. */
    private static boolean flag(Properties p, String key) {
        return Boolean.parseBoolean(p.getProperty(key, "false"));
    }

    synchronized void pid(long pid) {
        this.pid = pid;
    }

    synchronized OptionalLong pid() {
        return pid > 0 ? OptionalLong.of(pid) : OptionalLong.empty();
    }

    synchronized void started(Instant at) {
        this.startedAt = at;
    }

    synchronized Optional<Instant> startedAt() {
        return Optional.ofNullable(startedAt);
    }

    synchronized Optional<ExitStatus> exit() {
        return Optional.ofNullable(exit);
    }

    /** Records the exit once; wakes waiters. False if an exit was recorded already. */
    synchronized boolean exited(ExitStatus status) {
        if (exit != null) {
            return false;
        }
        exit = status;
        notifyAll();
        return true;
    }

    /** True exactly once, for the caller that reports the recorded exit to the event sink. */
    synchronized boolean claimReport() {
        if (exit == null || exitReported) {
            return false;
        }
        exitReported = true;
        return true;
    }

    /** Starts the runtime's delete with {@code start} unless it was started already. */
    synchronized void deleteRuntimeOnce(java.util.function.Supplier<java.util.concurrent.CompletableFuture<Boolean>> start) {
        if (runtimeDeletion == null) {
            runtimeDeletion = start.get();
        }
    }

    /** The runtime's delete started after the exit; empty when none was. */
    synchronized Optional<java.util.concurrent.CompletableFuture<Boolean>> runtimeDeletion() {
        return Optional.ofNullable(runtimeDeletion);
    }

    synchronized boolean running() {
        return startedAt != null && exit == null;
    }

    /** Waits up to {@code millis} for an exit to be recorded. */
    synchronized void awaitExitSignal(long millis) throws InterruptedException {
        if (exit == null && millis > 0) {
            wait(millis);
        }
    }

    synchronized ContainerState containerState() {
        Phase phase = exit != null ? Phase.EXITED : startedAt != null ? Phase.RUNNING : Phase.CREATED;
        return new ContainerState(id, phase, pid(), Optional.ofNullable(startedAt), Optional.ofNullable(exit));
    }

    synchronized SandboxState sandboxState() {
        return new SandboxState(id, running(), pid());
    }
}
