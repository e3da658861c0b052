package io.crisp.plugin.kit.node;

import io.crisp.plugin.kit.ShortRun;
import io.crisp.spi.NodeCheck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A program a handler runs, found once with its version ({@code PROGRAM --version}, first line,
 * probed off the caller's thread). {@link #check} is the node check: OK with path and version, or
 * FAIL when the file is missing or not executable. The presence is looked up on every check (an
 * operator may install the package while the daemon runs); the version is probed once.
 */
public final class BinaryProbe {
    /** How long a check waits for the version probe before it reports "probing". */
    static final Duration VERSION_WAIT = Duration.ofSeconds(3);
    private static final String NOT_EXECUTABLE = "unavailable: not executable: ";

    private final String name;
    private final Path path;
    private final String reason;
    private final String fix;
    private final String[] versionArgs;
    private volatile CompletableFuture<String> version;

    /**
     * @param name what the program is, for the check's name (for example "OCI runtime")
     * @param reason the not-ready reason when it is missing (for example RuntimeBinaryMissing)
     * @param fix what to do when it is missing (for example "apt-get install runc, or set runtime_path")
     * @param versionArgs the arguments that print the version; none skips the probe
     */
    public BinaryProbe(String name, Path path, String reason, String fix, String... versionArgs) {
        this.name = name;
        this.path = path;
        this.reason = reason;
        this.fix = fix;
        this.versionArgs = versionArgs.clone();
        this.version = versionArgs.length == 0 ? CompletableFuture.completedFuture("")
                : CompletableFuture.supplyAsync(() -> probe(path, versionArgs));
    }

    public Path path() {
        return path;
    }

    /** The version's first line, "probing" while the probe runs, or why there is none ("unavailable: ..."). */
    public String version() {
        return version.getNow("probing");
    }

    public NodeCheck check() {
        if (!Files.isExecutable(path)) {
            return NodeCheck.fail(name, reason, path + " is missing or not executable", fix);
        }
        String v = await(version);
        if (v.startsWith(NOT_EXECUTABLE)) {
            // Installed since the probe ran: probe again.
            CompletableFuture<String> again = CompletableFuture.supplyAsync(() -> probe(path, versionArgs));
            version = again;
            v = await(again);
        }
        return NodeCheck.ok(name, v.isEmpty() ? path.toString() : path + " (" + v + ")");
    }

    private static String await(CompletableFuture<String> probe) {
        try {
            return probe.get(VERSION_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return "probing";
        } catch (ExecutionException e) {
            return "unavailable: " + e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "probing";
        }
    }

    /** {@code binary args...} and the first line of its output; "unavailable: ..." when it cannot tell. */
    public static String probe(Path binary, String... args) {
        if (!Files.isExecutable(binary)) {
            return NOT_EXECUTABLE + binary;
        }
        try {
            List<String> command = new ArrayList<>();
            command.add(binary.toString());
            command.addAll(List.of(args));
            // Drained by another thread: a program that never exits must not hold this one.
            ShortRun.Result run = ShortRun.run(command, 4096, Duration.ofSeconds(5), "version-probe");
            if (!run.finished()) {
                return "unavailable: " + binary + " " + String.join(" ", args) + " did not finish in 5s";
            }
            String output = run.output();
            List<String> lines = output.lines().map(l -> l.trim().replaceAll("\\s+", " ")).filter(l -> !l.isEmpty()).toList();
            if (lines.isEmpty()) {
                return "unknown";
            }
            // containerd's shims print "PATH:" and then "Version: X" on the next line.
            return lines.get(0).endsWith(":") && lines.size() > 1 ? lines.get(1) : lines.get(0);
        } catch (IOException e) {
            return "unavailable: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unavailable: interrupted";
        }
    }
}
