package io.crisp.client.cli;

import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ContainerState;
import io.crisp.cri.v1.ContainerStatusRequest;
import io.crisp.spi.Durations;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code crisp containers logs}: the container's CRI log file, at the path the daemon reports.
 * {@code --tail} and {@code --since} select file lines as the kubelet does (stdout and stderr lines
 * alike). {@code -f} goes on reading as the container writes, and across the kubelet's rotation:
 * when the path names another file (renamed away, ReopenContainerLog made a new one) the rest of
 * the old file is read, then the new one from its start; it ends once the container has stopped and
 * everything it wrote is printed.
 */
@Command(name = "logs", description = "Print a container's log: its stdout to stdout, its stderr to stderr.")
final class ContainerLogs extends ContainersCommand.Action {
    private static final Duration POLL = Duration.ofMillis(100);

    @Parameters(index = "0", paramLabel = "ID", description = "the container")
    String id;

    @Option(names = {"-f", "--follow"}, description = "go on printing what the container writes, until it stops")
    boolean follow;

    @Option(names = "--tail", paramLabel = "N", defaultValue = "-1", description = "only the last N lines (default: all)")
    int tail;

    @Option(names = "--since", paramLabel = "WHEN", description = "only lines since a time (RFC 3339) or a duration ago (10m, 1h30m)")
    String since;

    @Option(names = {"-t", "--timestamps"}, description = "start each line with the time it was written (RFC 3339)")
    boolean timestamps;

    @Override
    public Integer call() {
        Instant from = since == null ? null : parseSince(since);
        return CriCall.run(spec, command(), Duration.ofMinutes(1), cri -> logs(cri, from));
    }

    private Instant parseSince(String text) {
        try {
            return Instant.from(java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(text));
        } catch (DateTimeParseException notATime) {
            try {
                Duration ago = Durations.parse(text);
                if (!ago.isNegative()) {
                    return Instant.now().minus(ago);
                }
            } catch (RuntimeException notADuration) {
                // the message below
            }
        }
        throw CriCall.usage(spec, "--since " + text + ": expected an RFC 3339 time (2026-01-02T15:04:05Z) or a duration (10m, 1h30m)");
    }

    private int logs(CriClient cri, Instant from) throws IOException, InterruptedException {
        String full = ContainersCommand.resolveContainer(cri, id);
        String logPath = status(cri, full).getLogPath();
        if (logPath.isEmpty()) {
            System.err.println("crisp containers logs: container " + full + " has no log file (its pod has no log directory)");
            return ExitCodes.FAILURE;
        }
        CriLogText text = new CriLogText(System.out, System.err, from, timestamps);
        Path path = Path.of(logPath);
        LogFile file = LogFile.open(path);
        if (file == null && !follow) {
            return 0; // created but never started: nothing logged yet
        }
        // What is there now: all lines, or the last --tail ones.
        Deque<String> last = new ArrayDeque<>();
        if (file != null) {
            for (String line = file.nextLine(); line != null; line = file.nextLine()) {
                last.addLast(line);
                if (tail >= 0 && last.size() > tail) {
                    last.removeFirst();
                }
            }
            if (!follow) {
                file.rest().ifPresent(last::addLast); // a last line without its newline
            }
            last.forEach(text::accept);
        }
        if (follow) {
            follow(cri, full, path, file, text);
        }
        text.finish();
        return 0;
    }

    /** Prints lines as they come until the container is no longer running and its file is read. */
    private void follow(CriClient cri, String container, Path path, LogFile file, CriLogText text)
            throws IOException, InterruptedException {
        long nextCheck = 0;
        boolean stopped = false;
        while (true) {
            boolean read = false;
            if (file != null) {
                for (String line = file.nextLine(); line != null; line = file.nextLine()) {
                    text.accept(line);
                    read = true;
                }
            }
            LogFile replaced = LogFile.replacing(path, file);
            if (replaced != null) {
                if (file != null) {
                    // The old file's last lines, written before the reopen.
                    for (String line = file.nextLine(); line != null; line = file.nextLine()) {
                        text.accept(line);
                    }
                    file.rest().ifPresent(text::accept);
                    file.close();
                }
                file = replaced;
                continue;
            }
            if (read) {
                text.flush();
                continue;
            }
            if (stopped) {
                if (file != null) {
                    file.rest().ifPresent(text::accept);
                    file.close();
                }
                return;
            }
            if (System.nanoTime() >= nextCheck) {
                // Stopped: one more pass over the file picks up what it wrote last.
                stopped = status(cri, container).getState() != ContainerState.CONTAINER_RUNNING
                        && status(cri, container).getState() != ContainerState.CONTAINER_CREATED;
                nextCheck = System.nanoTime() + Duration.ofSeconds(1).toNanos();
                if (stopped) {
                    continue;
                }
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    private static io.crisp.cri.v1.ContainerStatus status(CriClient cri, String id) {
        return cri.runtime().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build()).getStatus();
    }

    /** One log file, read in whole lines; a line still being written waits for its newline. */
    static final class LogFile implements AutoCloseable {
        private final FileChannel channel;
        private final Object key;
        private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        private final Deque<String> lines = new ArrayDeque<>();

        private LogFile(FileChannel channel, Object key) {
            this.channel = channel;
            this.key = key;
        }

        /** The file at {@code path}, or null when there is none (yet). */
        static LogFile open(Path path) throws IOException {
            try {
                FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
                Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
                return new LogFile(channel, key);
            } catch (NoSuchFileException e) {
                return null;
            }
        }

        /** The file now at {@code path} when it is not {@code current} (rotated, or created since), else null. */
        static LogFile replacing(Path path, LogFile current) throws IOException {
            Object key;
            try {
                key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            } catch (NoSuchFileException e) {
                return null; // renamed away, not reopened yet
            }
            if (current != null && Objects.equals(key, current.key)) {
                if (Files.size(path) < current.channel.position()) {
                    current.channel.position(0); // truncated in place
                    current.pending.reset();
                }
                return null;
            }
            return open(path);
        }

        /** The next whole line, or null when the file has no more (for now). */
        String nextLine() throws IOException {
            while (lines.isEmpty()) {
                buffer.clear();
                int n = channel.read(buffer);
                if (n <= 0) {
                    return null;
                }
                byte[] bytes = buffer.array();
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (bytes[i] == '\n') {
                        pending.write(bytes, start, i - start);
                        lines.addLast(pending.toString(StandardCharsets.UTF_8));
                        pending.reset();
                        start = i + 1;
                    }
                }
                pending.write(bytes, start, n - start);
            }
            return lines.removeFirst();
        }

        /** What follows the last newline, when the file ends without one. */
        java.util.Optional<String> rest() {
            if (pending.size() == 0) {
                return java.util.Optional.empty();
            }
            String rest = pending.toString(StandardCharsets.UTF_8);
            pending.reset();
            return java.util.Optional.of(rest);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
