package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.fail;

import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.VersionRequest;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code crisp serve} child process with directories of its own under a test's temp dir:
 * {@code crisp.toml}, {@code crisp.toml.d/}, {@code plugins/}, {@code root/}, {@code state/} and the
 * socket. Waits for readiness by calling Version on the socket; on a timeout or an early exit it
 * fails with the daemon's whole log. {@link #close()} stops it with SIGTERM (SIGKILL after 10 s).
 */
final class DaemonProcess implements AutoCloseable {
    final Path dir;
    final Path socket;
    final Path config;
    final Path dropIns;
    final Path plugins;
    final Path root;
    final Path state;
    final Path log;
    private Process process;
    private CriClient client;
    private final java.util.Map<String, String> environment = new java.util.HashMap<>();

    DaemonProcess(Path dir) {
        this.dir = dir;
        this.socket = dir.resolve("crisp.sock");
        this.config = dir.resolve("crisp.toml");
        this.dropIns = dir.resolve("crisp.toml.d");
        this.plugins = dir.resolve("plugins");
        this.root = dir.resolve("root");
        this.state = dir.resolve("state");
        this.log = dir.resolve("daemon.log");
        try {
            Files.createDirectories(dropIns);
            Files.createDirectories(plugins);
            if (!Files.exists(plugins.resolve(Crisp.RUNC_PLUGIN.getFileName()))) {
                Files.copy(Crisp.RUNC_PLUGIN, plugins.resolve(Crisp.RUNC_PLUGIN.getFileName()));
            }
            if (!Files.exists(config)) {
                Files.writeString(config, "# written by the test\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Adds a plugin JAR to this daemon's plugins directory (the runc plugin is always there). */
    DaemonProcess withPlugin(Path jar) {
        try {
            Path target = plugins.resolve(jar.getFileName());
            if (!Files.exists(target)) {
                Files.copy(jar, target);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** The flags that point a command at this daemon's files. */
    List<String> flags() {
        // The CNI conf dir is the test's own (empty unless a test writes a network), never the host's /etc/cni/net.d.
        return List.of("--config", config.toString(), "--listen", "unix://" + socket, "--root", root.toString(),
                "--state", state.toString(), "--plugins-dir", plugins.toString(), "--cni-conf-dir", dir.resolve("net.d").toString());
    }

    DaemonProcess writeConfig(String toml) {
        return write(config, toml);
    }

    DaemonProcess writeDropIn(String name, String toml) {
        return write(dropIns.resolve(name), toml);
    }

    private DaemonProcess write(Path file, String toml) {
        try {
            Files.writeString(file, toml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    DaemonProcess addPlugin(Path jar) {
        try {
            Files.copy(jar, plugins.resolve(jar.getFileName()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Sets a variable in the daemon's environment (before it starts). */
    DaemonProcess withEnv(String name, String value) {
        environment.put(name, value);
        return this;
    }

    /** Starts the process without waiting. */
    DaemonProcess spawn(String... extraArgs) {
        Crisp.recordArchiveOnce();
        List<String> command = new ArrayList<>();
        // The signals the tests send, handled as by default whatever this JVM inherited: a test run
        // started as a background job of a script (`mvn verify &`) ignores SIGINT, the daemon would
        // inherit that, and the JVM leaves an ignored SIGINT (or SIGHUP, under nohup) ignored.
        command.addAll(List.of("env", "--default-signal=HUP,INT,TERM"));
        command.add(Crisp.LAUNCHER.toString());
        command.add("serve");
        List<String> extra = List.of(extraArgs);
        List<String> base = flags();
        for (int i = 0; i < base.size(); i += 2) {
            if (!extra.contains(base.get(i))) { // a flag given by the test replaces ours
                command.add(base.get(i));
                command.add(base.get(i + 1));
            }
        }
        command.addAll(extra);
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().putAll(environment);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Starts and waits until Version answers (30 s at most). */
    DaemonProcess start(String... extraArgs) {
        return startWithin(Duration.ofSeconds(30), extraArgs);
    }

    /** Starts and waits until Version answers, {@code timeout} at most (a loaded machine starts a JVM slowly). */
    DaemonProcess startWithin(Duration timeout, String... extraArgs) {
        spawn(extraArgs);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("crisp serve exited with " + process.exitValue() + " before answering:\n" + logs());
            }
            if (Files.exists(socket)) {
                try {
                    client().runtime().withDeadlineAfter(2, TimeUnit.SECONDS).version(VersionRequest.getDefaultInstance());
                    return this;
                } catch (StatusRuntimeException e) {
                    // not ready yet
                }
            }
            sleep(20);
        }
        fail("crisp serve did not answer Version within " + timeout.toSeconds() + " s:\n" + logs());
        return this;
    }

    CriClient client() {
        if (client == null) {
            client = CriClient.connect(socket, Duration.ofSeconds(30));
        }
        return client;
    }

    Process process() {
        return process;
    }

    long pid() {
        return process.pid();
    }

    /** Waits for the process to exit and returns its code; fails after {@code timeout}. */
    int waitForExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                fail("crisp serve still runs after " + timeout + ":\n" + logs());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return process.exitValue();
    }

    void signal(String name) {
        try {
            int rc = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
            if (rc != 0) {
                fail("kill -" + name + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    String logs() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no log)";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
            client = null;
        }
        if (process != null && process.isAlive()) {
            signal("TERM");
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
