package io.crisp.plugin.kata;

import static java.util.Objects.requireNonNull;

import io.crisp.plugin.kata.io.ContainerStdio;
import io.crisp.spi.model.ContainerState;
import io.crisp.spi.model.ContainerState.Phase;
import io.crisp.spi.model.ExitStatus;
import io.crisp.spi.model.SandboxState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One task in a pod's shim: the sandbox's infra process ({@link #sandbox} true, id = sandbox id) or a
 * container. Mutable state is guarded by the instance; the exit is recorded once and completes
 * {@link #exited()}.
 */
final class Task {
    final String id;
    final String sandboxId;
    final boolean sandbox;
    final Path bundle;
    final Optional<Path> logPath;
    final boolean stdin;
    final boolean stdinOnce;
    final boolean tty;
    /** The container's stdio; null for the infra task, which has none. */
    volatile ContainerStdio stdio;

    private Phase phase = Phase.CREATED;
    private long pid;
    private Instant startedAt;
    private ExitStatus exit;
    private boolean oomKilled;
    /** crisp sent it SIGKILL: an exit by SIGKILL is then no OOM kill, and needs no wait for a TaskOOM event. */
    private boolean killRequested;
    private final CompletableFuture<ExitStatus> exited = new CompletableFuture<>();
    private final AtomicBoolean reported = new AtomicBoolean();

    Task(String id, String sandboxId, boolean sandbox, Path bundle, Optional<Path> logPath, boolean stdin, boolean stdinOnce,
            boolean tty) {
        this.id = requireNonNull(id, "id is null");
        this.sandboxId = requireNonNull(sandboxId, "sandboxId is null");
        this.sandbox = sandbox;
        this.bundle = requireNonNull(bundle, "bundle is null");
        this.logPath = requireNonNull(logPath, "logPath is null");
        this.stdin = stdin;
        this.stdinOnce = stdinOnce;
        this.tty = tty;
    }

    synchronized void created(long pid) {
        this.pid = pid;
    }

    /**
     * Records the start. A process that exits at once may have its exit recorded first (the shim's
     * TaskExit event can overtake the answer to Start): it keeps EXITED, and still gets its pid and a
     * start time, never later than its exit.
     */
    synchronized void started(long pid, Instant at) {
        if (phase == Phase.CREATED) {
            phase = Phase.RUNNING;
        }
        if (startedAt == null) {
            this.pid = pid;
            this.startedAt = exit != null && exit.finishedAt().isBefore(at) ? exit.finishedAt() : at;
        }
    }

    synchronized void markKillRequested() {
        killRequested = true;
    }

    synchronized boolean killRequested() {
        return killRequested;
    }

    synchronized void markOomKilled() {
        oomKilled = true;
    }

    /** Records the exit; false if one was recorded before. */
    boolean exited(int code, Instant at) {
        ExitStatus status;
        synchronized (this) {
            if (exit != null) {
                return false;
            }
            String reason = oomKilled ? "OOMKilled" : code == 0 ? "Completed" : "Error";
            status = new ExitStatus(code, at, Optional.of(reason));
            exit = status;
            phase = Phase.EXITED;
        }
        exited.complete(status);
        return true;
    }

    /** True the first time: the exit is reported to the core once. */
    boolean claimReport() {
        return reported.compareAndSet(false, true);
    }

    CompletableFuture<ExitStatus> exited() {
        return exited;
    }

    synchronized boolean isRunning() {
        return phase == Phase.RUNNING;
    }

    synchronized Phase phase() {
        return phase;
    }

    synchronized Optional<ExitStatus> exit() {
        return Optional.ofNullable(exit);
    }

    synchronized boolean oomKilled() {
        return oomKilled;
    }

    synchronized ContainerState state() {
        return new ContainerState(id, phase, pid > 0 ? OptionalLong.of(pid) : OptionalLong.empty(),
                Optional.ofNullable(startedAt), Optional.ofNullable(exit));
    }

    synchronized SandboxState sandboxState() {
        return new SandboxState(id, phase == Phase.RUNNING, pid > 0 ? OptionalLong.of(pid) : OptionalLong.empty());
    }

    /** The record kept on disk, enough to rebuild this object after a daemon restart. */
    synchronized Map<String, String> record() {
        Map<String, String> r = new HashMap<>();
        r.put("sandbox_id", sandboxId);
        r.put("sandbox", Boolean.toString(sandbox));
        r.put("bundle", bundle.toString());
        logPath.ifPresent(p -> r.put("log_path", p.toString()));
        r.put("stdin", Boolean.toString(stdin));
        r.put("stdin_once", Boolean.toString(stdinOnce));
        r.put("tty", Boolean.toString(tty));
        r.put("phase", phase.name());
        r.put("pid", Long.toString(pid));
        if (startedAt != null) {
            r.put("started_at", startedAt.toString());
        }
        if (exit != null) {
            r.put("exit_code", Integer.toString(exit.code()));
            r.put("finished_at", exit.finishedAt().toString());
        }
        r.put("oom_killed", Boolean.toString(oomKilled));
        return r;
    }

    static Task fromRecord(String id, Map<String, String> r) {
        Task t = new Task(id, r.get("sandbox_id"), Boolean.parseBoolean(r.get("sandbox")), Path.of(r.get("bundle")),
                Optional.ofNullable(r.get("log_path")).map(Path::of), Boolean.parseBoolean(r.get("stdin")),
                Boolean.parseBoolean(r.get("stdin_once")), Boolean.parseBoolean(r.get("tty")));
        t.pid = Long.parseLong(r.getOrDefault("pid", "0"));
        t.oomKilled = Boolean.parseBoolean(r.get("oom_killed"));
        if (r.containsKey("started_at")) {
            t.startedAt = Instant.parse(r.get("started_at"));
        }
        Phase recorded = Phase.valueOf(r.getOrDefault("phase", "CREATED"));
        t.phase = recorded == Phase.EXITED ? Phase.RUNNING : recorded;
        if (r.containsKey("exit_code")) {
            t.exited(Integer.parseInt(r.get("exit_code")), Instant.parse(r.get("finished_at")));
            t.reported.set(true);
        }
        return t;
    }
}
