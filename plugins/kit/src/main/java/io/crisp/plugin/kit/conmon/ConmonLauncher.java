package io.crisp.plugin.kit.conmon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.plugin.kit.Json;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts one conmon per sandbox or container; conmon runs {@code runtime create}, holds the
 * container's stdio, writes the CRI log, the exit file and the OOM marker, and outlives the daemon
 * (it forks, calls setsid and is reparented to init).
 *
 * <p>conmon reports the outcome of {@code create} on the fd named by {@code _OCI_SYNCPIPE}: one line
 * {@code {"data": PID}} or {@code {"data": -1, "message": "runtime's error"}}. A JVM child cannot
 * inherit extra fds, so a shell opens fd 3 on a regular file in the state directory and execs
 * conmon; the backend waits for that line. A file rather than a FIFO: opening a FIFO blocks until
 * both ends are open, which would hang the daemon if conmon died first.
 */
final class ConmonLauncher {
    private static final Logger LOG = LoggerFactory.getLogger(ConmonLauncher.class);
    /** Generous: runc create with many mounts on a loaded node takes seconds, not minutes. */
    private static final Duration CREATE_TIMEOUT = Duration.ofSeconds(120);
    /**
     * How often the sync file is read while runtime create runs (tens of milliseconds): a short, flat
     * pause keeps the wait close to it (one doubling to 20 ms added up to that much to every
     * CreateContainer, one doubling to 4 ms about 2 ms). A look costs one small file read and a /proc
     * check, some 30 us.
     */
    private static final Duration SYNC_LOOK_EVERY = Duration.ofMillis(1);
    private static final String SHELL = "/bin/sh";
    /** Reads conmon's sync line and the runtime's JSON log lines. */
    private static final ObjectMapper JSON = Json.MAPPER;

    private final OciCliConfig config;
    private final ContainerFiles files;

    ConmonLauncher(OciCliConfig config, ContainerFiles files) {
        this.config = config;
        this.files = files;
    }

    /** The conmon command line for {@code id}; the sync fd is 3, opened by the wrapping shell. */
    List<String> command(String id, String name, Path bundle, Path logPath, Tracked.Stdio stdio) {
        return command(id, name, bundle, logPath, stdio, Optional.empty());
    }

    /**
     * As above; with {@code restoreFrom}, conmon runs the runtime's {@code restore} from those CRIU
     * images instead of {@code create} (the container then runs at once), with the handler's CRIU.
     */
    List<String> command(String id, String name, Path bundle, Path logPath, Tracked.Stdio stdio, Optional<Path> restoreFrom) {
        List<String> c = new ArrayList<>();
        c.add(config.monitorPath().toString());
        c.add("--api-version");
        c.add("1");
        add(c, "--cid", id);
        add(c, "--cuuid", id);
        add(c, "--name", name);
        add(c, "--runtime", config.runtimePath().toString());
        add(c, "--bundle", bundle.toString());
        add(c, "--container-pidfile", files.pidFile(id).toString());
        add(c, "--conmon-pidfile", files.conmonPidFile(id).toString());
        add(c, "--log-path", "k8s-file:" + logPath);
        add(c, "--exit-dir", files.exitDir().toString());
        add(c, "--persist-dir", files.dir(id).toString());
        add(c, "--socket-dir-path", files.socketDir().toString());
        if (stdio.tty()) {
            c.add("--terminal");
        }
        if (stdio.stdin()) {
            c.add("--stdin");
            if (!stdio.stdinOnce()) {
                // Otherwise conmon closes the container's stdin when the first attached client leaves.
                c.add("--leave-stdin-open");
            }
        }
        add(c, "--log-level", LOG.isDebugEnabled() ? "debug" : "info");
        if (config.systemdCgroup()) {
            // conmon finds the container's cgroup (OOM watch) in systemd's layout and passes the flag
            // on to the runtime's create itself (adding it as --runtime-arg too would repeat it).
            c.add("--systemd-cgroup");
        }
        add(c, "--runtime-arg", "--root=" + config.runtimeRoot());
        add(c, "--runtime-arg", "--log=" + files.runtimeLog(id));
        add(c, "--runtime-arg", "--log-format=json");
        if (restoreFrom.isPresent()) {
            config.criuPath().ifPresent(criu -> add(c, "--runtime-arg", "--criu=" + criu));
            add(c, "--restore", restoreFrom.get().toString());
        }
        return c;
    }

    /**
     * Launches conmon and waits until {@code runtime create} finished. Returns the container's init
     * pid. On failure conmon has exited; the exception carries the runtime's error.
     */
    long launch(String id, String name, Path bundle, Path logPath, Tracked.Stdio stdio) {
        return launch(id, name, bundle, logPath, stdio, Optional.empty());
    }

    /** As above; with {@code restoreFrom} the runtime restores the container from those CRIU images (see {@link #command}). */
    long launch(String id, String name, Path bundle, Path logPath, Tracked.Stdio stdio, Optional<Path> restoreFrom) {
        long began = System.nanoTime();
        Path sync = files.syncFile(id);
        List<String> command = new ArrayList<>();
        command.add(SHELL);
        command.add("-c");
        // $1 is the sync file, the rest is conmon's command line; exec keeps no shell around.
        command.add("sync=$1; shift; exec \"$@\" 3>>\"$sync\"");
        command.add("conmon-launch");
        command.add(sync.toString());
        command.addAll(command(id, name, bundle, logPath, stdio, restoreFrom));
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(files.conmonOutput(id).toFile()))
                .redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("_OCI_SYNCPIPE", "3");
        env.remove("_OCI_STARTPIPE");
        env.remove("_OCI_ATTACHPIPE");
        env.remove("NOTIFY_SOCKET");
        try {
            Files.writeString(sync, "");
            Process launcher = pb.start();
            // conmon's first process forks the monitor and exits at once (after writing conmon.pid).
            if (!launcher.waitFor(30, TimeUnit.SECONDS)) {
                launcher.destroyForcibly();
                throw failure(id, "conmon did not detach within 30s");
            }
            if (launcher.exitValue() != 0) {
                throw failure(id, "conmon exited with " + launcher.exitValue() + ": " + tail(files.conmonOutput(id)));
            }
            long pid = awaitSync(id, sync);
            LOG.debug("container {}: conmon + runtime create took {} ms, pid {}", id,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began), pid);
            return pid;
        } catch (IOException e) {
            throw new BackendException(Kind.UNAVAILABLE, "container " + id + ": cannot start conmon "
                    + config.monitorPath() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException(Kind.INTERNAL, "container " + id + ": interrupted while starting conmon", e);
        }
    }

    private long awaitSync(String id, Path sync) throws IOException {
        long deadline = System.nanoTime() + CREATE_TIMEOUT.toNanos();
        while (true) {
            String text = Files.readString(sync);
            int newline = text.indexOf('\n');
            if (newline >= 0) {
                return parse(id, text.substring(0, newline));
            }
            if (System.nanoTime() > deadline) {
                throw failure(id, "runtime create did not report within " + CREATE_TIMEOUT.toSeconds() + "s");
            }
            if (!conmonAlive(id)) {
                // It may have written just before exiting.
                text = Files.readString(sync);
                if (text.indexOf('\n') >= 0) {
                    continue;
                }
                throw failure(id, "conmon exited without reporting the outcome of runtime create: "
                        + tail(files.conmonOutput(id)) + runtimeError(id).map(e -> "; runtime log: " + e).orElse(""));
            }
            LockSupport.parkNanos(SYNC_LOOK_EVERY.toNanos());
        }
    }

    /** Reads conmon's sync line: the pid, or a failure carrying the runtime's error. */
    long parse(String id, String line) {
        JsonNode reply;
        try {
            reply = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw failure(id, "conmon sent an unreadable sync message: " + line);
        }
        if (reply == null || !reply.isObject()) {
            throw failure(id, "conmon sent an unreadable sync message: " + line);
        }
        JsonNode data = reply.path("data");
        long pid = data.asLong(-1);
        if (pid > 0) {
            return pid;
        }
        String message = Optional.of(reply.path("message")).filter(JsonNode::isTextual).map(JsonNode::asText)
                .map(String::trim).filter(s -> !s.isEmpty())
                .or(() -> runtimeError(id)).orElse("no message");
        throw failure(id, "runtime create failed: " + message);
    }

    /** Whether the conmon recorded for {@code id} still runs. */
    boolean conmonAlive(String id) {
        return Processes.aliveWithArg(ContainerFiles.readPid(files.conmonPidFile(id)), id);
    }

    /** Once the container has exited: waits a little for its conmon to exit too, then kills it. */
    void awaitOrKillConmon(String id) {
        OptionalLong conmonPid = ContainerFiles.readPid(files.conmonPidFile(id));
        if (Processes.aliveWithArg(conmonPid, id) && !Processes.awaitGone(conmonPid.getAsLong(), Duration.ofSeconds(5))) {
            LOG.warn("container {}: conmon {} still runs after the container exited; killing it", id, conmonPid.getAsLong());
            Processes.kill(conmonPid.getAsLong());
            Processes.awaitGone(conmonPid.getAsLong(), Duration.ofSeconds(5));
        }
    }

    /** The last error line of the runtime's JSON log, if any. */
    Optional<String> runtimeError(String id) {
        try {
            List<String> lines = Files.readAllLines(files.runtimeLog(id));
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).isBlank()) {
                    continue;
                }
                try {
                    JsonNode entry = JSON.readTree(lines.get(i));
                    if (entry == null || !entry.isObject()) {
                        return Optional.of(lines.get(i));
                    }
                    String level = entry.path("level").asText("");
                    if (level.equals("error") || level.equals("fatal")) {
                        JsonNode msg = entry.get("msg");
                        return msg == null || msg.isNull() ? Optional.empty() : Optional.of(msg.asText());
                    }
                } catch (JsonProcessingException e) {
                    return Optional.of(lines.get(i));
                }
            }
        } catch (IOException e) {
            // No log: nothing to add.
        }
        return Optional.empty();
    }

    private static BackendException failure(String id, String what) {
        return new BackendException(Kind.INTERNAL, "container " + id + ": " + what);
    }

    private static String tail(Path file) {
        try {
            String text = Files.readString(file).trim();
            return text.length() > 2000 ? text.substring(text.length() - 2000) : text;
        } catch (IOException e) {
            return "(no output)";
        }
    }

    private static void add(List<String> c, String option, String value) {
        c.add(option);
        c.add(value);
    }
}
