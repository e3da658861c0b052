package io.crisp.core.image.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A second {@code docker-registry} serving (read-mostly) the storage a {@link TestRegistry} was pushed to, where
 * and how a test needs it: on any address, optionally inside a network namespace ({@code ip netns exec}), with TLS
 * ({@code http.tls.certificate}/{@code key}) and client-certificate auth ({@code http.tls.clientcas}).
 * Ready when its log says it listens (it logs at info for that); {@link #close()} stops it.
 */
public final class ServingRegistry implements AutoCloseable {
    private static final Duration STARTUP = Duration.ofSeconds(30);
    private final Process process;
    private final Path log;
    private final String address;

    private ServingRegistry(Process process, Path log, String address) {
        this.process = process;
        this.log = log;
        this.address = address;
    }

    /** Settings of one instance; {@code certificate} null serves plain HTTP. */
    public record Options(String netns, String address, Path certificate, Path key, Path clientCa) {
        public static Options plain(String address) {
            return new Options(null, address, null, null, null);
        }

        public static Options tls(String address, Path certificate, Path key) {
            return new Options(null, address, certificate, key, null);
        }

        public Options inNetns(String name) {
            return new Options(name, address, certificate, key, clientCa);
        }

        public Options requiringClientCertsFrom(Path ca) {
            return new Options(netns, address, certificate, key, ca);
        }
    }

    /** Starts serving {@code source}'s storage; config.yml and registry.log go to {@code dir}. */
    public static ServingRegistry start(TestRegistry source, Path dir, Options options) {
        try {
            Files.createDirectories(dir);
            StringBuilder yml = new StringBuilder()
                    .append("version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n")
                    .append("storage:\n  filesystem:\n    rootdirectory: '").append(source.dir().resolve("storage").toAbsolutePath()).append("'\n")
                    .append("http:\n  addr: ").append(options.address()).append('\n')
                    .append("  secret: crisp-test-serving-secret\n");
            if (options.certificate() != null) {
                yml.append("  tls:\n    certificate: '").append(options.certificate()).append("'\n")
                        .append("    key: '").append(options.key()).append("'\n");
                if (options.clientCa() != null) {
                    yml.append("    clientcas:\n      - '").append(options.clientCa()).append("'\n");
                }
            }
            Files.writeString(dir.resolve("config.yml"), yml.toString());
            List<String> command = new ArrayList<>();
            if (options.netns() != null) {
                command.addAll(List.of("ip", "netns", "exec", options.netns()));
            }
            command.addAll(List.of(TestRegistry.BINARY.toString(), "serve", dir.resolve("config.yml").toString()));
            Path log = dir.resolve("registry.log");
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().keySet().removeIf(k -> k.startsWith("REGISTRY_"));
            ServingRegistry registry = new ServingRegistry(pb.start(), log, options.address());
            registry.awaitListening();
            return registry;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitListening() throws IOException {
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains("listening on")) {
                return;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("docker-registry for " + address + " exited with " + process.exitValue() + ":\n" + log());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        close();
        throw new IllegalStateException("docker-registry for " + address + " did not listen within " + STARTUP.toSeconds() + " s:\n" + log());
    }

    /** Its address, the registry part of an image reference. */
    public String host() {
        return address;
    }

    public String log() {
        try {
            return Files.exists(log) ? Files.readString(log) : "(no log)";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
