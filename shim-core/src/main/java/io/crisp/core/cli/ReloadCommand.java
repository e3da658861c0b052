package io.crisp.core.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.core.config.ConfigException;
import io.crisp.core.config.CrispConfig;
import io.crisp.core.daemon.PidFile;
import io.crisp.core.state.Json;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.StatusRequest;
import io.crisp.cri.v1.StatusResponse;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code crisp reload}: sends SIGHUP to the daemon named by {@code <state>/crisp.pid}, then waits
 * until the daemon's Status shows a new load attempt, and reports whether it was accepted. Exit
 * code 0 when the new configuration is in force, 2 when the daemon refused it, 1 otherwise.
 */
@Command(name = "reload", versionProvider = Main.Version.class, mixinStandardHelpOptions = true, description = "Make the running daemon re-read configuration and plugins (SIGHUP) and report the outcome.")
final class ReloadCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--timeout", description = "How long to wait for the daemon, e.g. 10s (default).", defaultValue = "10s")
    String timeout;

    @Override
    public Integer call() throws IOException, InterruptedException {
        CrispConfig config;
        try {
            config = ConfigFlags.load(spec);
        } catch (ConfigException e) {
            System.err.println("crisp: configuration refused (the daemon would refuse it too): " + e.getMessage());
            return Main.EXIT_CONFIG;
        }
        OptionalLong pid = PidFile.read(config.state());
        if (pid.isEmpty() || ProcessHandle.of(pid.getAsLong()).map(ProcessHandle::isAlive).orElse(false) == Boolean.FALSE) {
            System.err.println("crisp: no running daemon: " + PidFile.path(config.state()) + " is missing or names no live process");
            return Main.EXIT_FAILURE;
        }
        Duration wait = io.crisp.spi.Durations.parse(timeout);
        ObjectMapper json = Json.MAPPER;
        try (CriClient cri = CriClient.connect(config.socketPath(), Duration.ofSeconds(10))) {
            long before = reload(json, cri.runtime().status(verbose())).path("attempt").asLong();
            Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(pid.getAsLong())).inheritIO().start();
            if (kill.waitFor() != 0) {
                System.err.println("crisp: cannot signal process " + pid.getAsLong());
                return Main.EXIT_FAILURE;
            }
            long deadline = System.nanoTime() + wait.toNanos();
            while (System.nanoTime() < deadline) {
                StatusResponse status = cri.runtime().status(verbose());
                JsonNode reload = reload(json, status);
                if (reload.path("attempt").asLong() > before) {
                    if (reload.has("error")) {
                        System.err.println("crisp: reload refused, previous configuration stays: " + reload.path("error").asText());
                        return Main.EXIT_CONFIG;
                    }
                    JsonNode handlers = json.readTree(status.getInfoOrDefault("handlers", "[]"));
                    System.out.println("reloaded: handler table " + reload.path("table_generation").asLong() + ", handlers "
                            + handlerNames(handlers));
                    warnAboutHandlersNotReady(handlers);
                    return 0;
                }
                Thread.sleep(50);
            }
            System.err.println("crisp: the daemon did not report a reload within " + timeout);
            return Main.EXIT_FAILURE;
        } catch (StatusRuntimeException e) {
            System.err.println("crisp: the daemon on " + config.socketPath() + " did not answer: " + e.getStatus());
            return Main.EXIT_FAILURE;
        }
    }

    private static StatusRequest verbose() {
        return StatusRequest.newBuilder().setVerbose(true).build();
    }

    private static JsonNode reload(ObjectMapper json, StatusResponse status) throws IOException {
        return json.readTree(status.getInfoOrDefault("reload", "{}"));
    }

    /**
     * Each handler's readiness after the swap; a warning on stderr for the default handler or a
     * handler with pods that is not ready (the kubelet marks the node NotReady, or those pods' calls fail).
     */
    private static void warnAboutHandlersNotReady(JsonNode handlers) {
        for (JsonNode h : handlers) {
            JsonNode health = h.path("health");
            boolean ready = health.path("ready").asBoolean(true);
            System.out.println("  " + h.path("name").asText() + ": " + (ready ? "ready" : "NOT READY ("
                    + health.path("reason").asText() + ": " + health.path("message").asText() + ")"));
            if (!ready && (h.path("default").asBoolean() || h.path("pods").asInt() > 0)) {
                System.err.println("crisp: warning: handler " + h.path("name").asText() + (h.path("default").asBoolean()
                        ? " is the default and is not ready: RuntimeReady is false, the kubelet will mark this node NotReady"
                        : " has " + h.path("pods").asInt() + " pods and is not ready") + ": " + health.path("message").asText());
            }
        }
    }

    private static String handlerNames(JsonNode handlers) {
        StringBuilder names = new StringBuilder();
        handlers.forEach(h -> names.append(names.length() == 0 ? "" : ", ").append(h.path("name").asText()));
        return names.toString();
    }
}
