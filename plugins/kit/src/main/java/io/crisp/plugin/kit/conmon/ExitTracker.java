package io.crisp.plugin.kit.conmon;

import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.model.ExitStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns conmon's exit files into recorded exits and events. An exit is reported to the sink once
 * per backend instance: at once when the watcher sees it, or, for an exit that happened while no
 * backend ran, the first time the core asks for the container's state.
 */
final class ExitTracker implements ExitWatcher.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(ExitTracker.class);
    static final String OOM_KILLED = "OOMKilled";
    /** Written by the backend itself when conmon died without writing an exit file. */
    private static final int MONITOR_LOST_CODE = 255;

    private final ContainerFiles files;
    private final ConmonLauncher conmon;
    private final ContainerEventSink events;
    private final Function<String, Optional<Tracked>> lookup;
    private final Collection<Tracked> all;
    /** Told of each exit when it is recorded (once per object and backend instance). */
    private final java.util.function.Consumer<Tracked> recorded;

    ExitTracker(ContainerFiles files, ConmonLauncher conmon, ContainerEventSink events,
            Function<String, Optional<Tracked>> lookup, Collection<Tracked> all) {
        this(files, conmon, events, lookup, all, t -> { });
    }

    ExitTracker(ContainerFiles files, ConmonLauncher conmon, ContainerEventSink events,
            Function<String, Optional<Tracked>> lookup, Collection<Tracked> all, java.util.function.Consumer<Tracked> recorded) {
        this.recorded = recorded;
        this.files = files;
        this.conmon = conmon;
        this.events = events;
        this.lookup = lookup;
        this.all = all;
    }

    @Override
    public void exitFileChanged(String name) {
        if (!ContainerFiles.validId(name)) {
            return;
        }
        lookup.apply(name).ifPresent(t -> {
            if (refresh(t)) {
                report(t);
            }
        });
    }

    @Override
    public void rescan() {
        for (Tracked t : all) {
            if (refresh(t)) {
                report(t);
            }
        }
    }

    /** Records the exit if conmon wrote it; true if the container has exited (now or before). */
    boolean refresh(Tracked t) {
        if (t.exit().isPresent()) {
            return true;
        }
        Optional<ExitStatus> status = read(t.id);
        status.ifPresent(s -> {
            if (t.exited(s)) {
                LOG.debug("container {}: exited with {} ({})", t.id, s.code(), s.reason().orElse(""));
                recorded.accept(t);
            }
        });
        return t.exit().isPresent();
    }

    /** Reports a recorded exit to the sink, unless it was reported already. */
    void report(Tracked t) {
        if (!t.claimReport()) {
            return;
        }
        ExitStatus status = t.exit().orElseThrow();
        if (status.reason().filter(OOM_KILLED::equals).isPresent()) {
            events.oomKilled(t.id);
        }
        events.exited(t.id, status);
    }

    /**
     * Waits up to {@code timeout} for the exit. If conmon and the container are both gone without an
     * exit file (conmon was killed), records exit code 255 so that callers do not wait forever.
     */
    boolean await(Tracked t, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (refresh(t)) {
                return true;
            }
            if (gone(t)) {
                return recordLost(t);
            }
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                return false;
            }
            t.awaitExitSignal(Math.min(left, 100));
        }
    }

    /**
     * For an object read back after a restart: if it was started and has no exit, but its conmon
     * and its process are both gone (a kill between them ending and the exit being written, or
     * its files half deleted), records the lost exit now rather than report it running.
     */
    void settleIfLost(Tracked t) {
        if (t.running() && gone(t)) {
            recordLost(t);
        }
    }

    /** Neither its conmon nor its process is alive. */
    private boolean gone(Tracked t) {
        return !conmon.conmonAlive(t.id) && !pidAlive(t);
    }

    /** For a gone object: conmon writes the exit file before it exits, so look once more, then write our own. */
    private boolean recordLost(Tracked t) {
        if (refresh(t)) {
            return true;
        }
        markLost(t);
        return refresh(t);
    }

    private static boolean pidAlive(Tracked t) {
        OptionalLong pid = t.pid();
        return pid.isPresent() && Processes.alive(pid.getAsLong());
    }

    private void markLost(Tracked t) {
        LOG.warn("container {}: conmon and the container are gone without an exit file; recording exit {}", t.id,
                MONITOR_LOST_CODE);
        writeExit(t, MONITOR_LOST_CODE);
    }

    /** Writes the exit file conmon did not (or cannot: nothing ran) write; read back by {@link #refresh}. */
    void writeExit(Tracked t, int code) {
        try {
            Path tmp = files.dir(t.id).resolve("exit.lost");
            Files.writeString(tmp, Integer.toString(code));
            Files.move(tmp, files.exitFile(t.id), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // A full disk: the exit is kept in memory so the caller's wait ends; the file is written on the next restart's look.
            LOG.warn("container {}: cannot write its exit file {}: {}; the exit is kept in memory", t.id, files.exitFile(t.id), e.toString());
            t.exited(new ExitStatus(code, Instant.now(), Optional.of(reason(t.id, code))));
        }
    }

    /** The exit conmon recorded for {@code id}, if it has exited. */
    private Optional<ExitStatus> read(String id) {
        Path file = files.exitFile(id);
        String text;
        Instant finishedAt;
        try {
            text = Files.readString(file).trim();
            finishedAt = Files.getLastModifiedTime(file).toInstant();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.debug("container {}: exit file not readable yet: {}", id, e.getMessage());
            return Optional.empty();
        }
        int code;
        try {
            code = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            return Optional.empty(); // Being written; the next event brings the rest.
        }
        // conmon writes the oom marker before it exits; give it a moment to finish.
        OptionalLong conmonPid = ContainerFiles.readPid(files.conmonPidFile(id));
        if (conmonPid.isPresent() && Processes.aliveWithArg(conmonPid, id)) {
            Processes.awaitGone(conmonPid.getAsLong(), Duration.ofSeconds(2));
        }
        return Optional.of(new ExitStatus(code, finishedAt, Optional.of(reason(id, code))));
    }

    private String reason(String id, int code) {
        if (Files.exists(files.startErrorFile(id))) {
            return DeferredCreates.START_ERROR;
        }
        return Files.exists(files.oomFile(id)) ? OOM_KILLED : code == 0 ? "Completed" : "Error";
    }
}
