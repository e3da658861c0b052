package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real launcher ({@code packaging/bin/crisp}) on the build output, as a user would, and a
 * test's own directories for everything the daemon writes. Failsafe passes the paths.
 */
final class Crisp {
    static final Path LAUNCHER = Path.of(required("crisp.launcher"));
    static final Path HOME = Path.of(required("crisp.home"));
    static final Path RUNC_PLUGIN = pluginJar(HOME.resolve("plugins"), "crisp-plugin-runc-");
    static final Path KATA_PLUGIN = pluginJar(HOME.resolve("plugins"), "crisp-plugin-kata-");
    static final Path LXC_PLUGIN = pluginJar(HOME.resolve("plugins"), "crisp-plugin-lxc-");
    static final Path NSPAWN_PLUGIN = pluginJar(HOME.resolve("plugins"), "crisp-plugin-nspawn-");
    static final Path EXAMPLE_PLUGIN = Path.of(required("crisp.example.plugin"));
    /** The test-only faulty plugin (runc with switchable faults), never shipped. */
    static final Path FAULTY_PLUGIN = Path.of(required("crisp.faulty.plugin"));
    static final String VERSION = required("crisp.version");
    static final boolean CI = "true".equals(System.getenv("CI"));

    private Crisp() {}

    /** The result of one CLI run. */
    record Run(int exitCode, String stdout, String stderr) {
        String all() {
            return stdout + stderr;
        }
    }

    private static boolean archiveRecorded;

    /**
     * The launcher records its class-data-sharing archive on its first run after a build, which
     * on a loaded machine takes longer than a daemon start's 30 s; every daemon and CLI run of the
     * ITs waits for that once here (at most 5 minutes), outside their own deadlines.
     */
    static synchronized void recordArchiveOnce() {
        if (archiveRecorded) {
            return;
        }
        archiveRecorded = true;
        try {
            Process p = new ProcessBuilder(LAUNCHER.toString(), "--help").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                fail("crisp --help (recording the class-data archive) did not finish in 5 minutes");
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code crisp args...} to completion (at most 60 s). */
    static Run run(List<String> args) {
        return run(args, java.util.Map.of());
    }

    /** {@link #run(List)} with {@code environment} added to this process's. */
    static Run run(List<String> args, java.util.Map<String, String> environment) {
        return run(args, environment, java.time.Duration.ofSeconds(60));
    }

    /** {@link #run(List, java.util.Map)} given at most {@code limit}. */
    static Run run(List<String> args, java.util.Map<String, String> environment, java.time.Duration limit) {
        recordArchiveOnce();
        List<String> command = new ArrayList<>();
        command.add(LAUNCHER.toString());
        command.addAll(args);
        try {
            Path out = Files.createTempFile("crisp-out", ".txt");
            Path err = Files.createTempFile("crisp-err", ".txt");
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            builder.environment().putAll(environment);
            Process p = builder.start();
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                fail("crisp " + args + " did not finish in " + limit.toSeconds() + " s");
            }
            Run run = new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            Files.delete(out);
            Files.delete(err);
            return run;
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A prerequisite the test cannot do without. Under CI=true its absence fails the test loudly;
     * outside CI too, since a silently skipped test proves nothing.
     */
    static void requireExecutable(Path binary, String why) {
        assertTrue(Files.isExecutable(binary), binary + " is required " + why + " (install it; .ci/run does)");
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException("system property " + property + " is not set: run integration tests through Maven (mvn verify)");
        }
        return value;
    }

    private static Path pluginJar(Path dir, String prefix) {
        try (var files = Files.list(dir)) {
            List<Path> jars = files.filter(p -> p.getFileName().toString().startsWith(prefix) && p.toString().endsWith(".jar"))
                    .toList();
            if (jars.size() != 1) {
                throw new IllegalStateException("expected one " + prefix + "*.jar in " + dir + ", found " + jars);
            }
            return jars.get(0);
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + dir + ": " + e, e);
        }
    }
}
