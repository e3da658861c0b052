package io.crisp.core.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.client.cli.ClientEndpoint;
import io.crisp.core.config.ConfigException;
import io.crisp.core.config.CrispConfig;
import io.crisp.core.daemon.LogLevels;
import io.crisp.core.plugin.HandlerRegistry;
import io.crisp.core.plugin.PluginCatalog;
import io.crisp.core.runtime.DaemonState;
import io.crisp.core.runtime.ReloadOutcome;
import io.crisp.core.runtime.RuntimeInfoService;
import io.crisp.core.state.Json;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.StatusRequest;
import io.crisp.spi.ContainerEventSink;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code crisp plugins}: the loaded plugins and the handler table. From the running daemon (its
 * verbose Status) when one answers on the socket, otherwise from disk: the configuration and the
 * plugins directory, loaded exactly as the daemon would.
 */
@Command(name = "plugins", versionProvider = Main.Version.class, mixinStandardHelpOptions = true, description = "List loaded plugins and runtime handlers, from the running daemon or from disk.")
final class PluginsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--offline", description = "Read configuration and plugins from disk even if a daemon is running.")
    boolean offline;

    @Override
    public Integer call() throws IOException {
        Map<String, String> info;
        String source;
        ClientEndpoint endpoint = offline ? null : ClientEndpoint.resolve(spec);
        if (endpoint != null && ClientEndpoint.answers(endpoint.socket())) {
            try (CriClient cri = CriClient.connect(endpoint.socket(), Duration.ofSeconds(10))) {
                info = cri.runtime().status(StatusRequest.newBuilder().setVerbose(true).build()).getInfoMap();
            } catch (StatusRuntimeException e) {
                System.err.println("crisp: the daemon on " + endpoint.socket() + " did not answer Status: " + e.getStatus());
                return Main.EXIT_FAILURE;
            }
            source = "running daemon on " + endpoint.socket();
        } else {
            // From disk: this needs the configuration itself.
            CrispConfig config = ConfigFlags.loadOrReport(spec);
            if (config == null) {
                return Main.EXIT_CONFIG;
            }
            LogLevels.apply("error");
            try (PluginCatalog catalog = new PluginCatalog(); HandlerRegistry registry = new HandlerRegistry(ContainerEventSink.discarding())) {
                catalog.scan(config.pluginsDir());
                DaemonState state = new DaemonState(registry, catalog);
                state.config(config);
                state.lastLoad(new ReloadOutcome(1, Instant.now(), Optional.empty()));
                try {
                    registry.apply(config, catalog);
                } catch (ConfigException e) {
                    print(System.out, new RuntimeInfoService(state).plugins(), null);
                    System.err.println("crisp: handlers refused: " + e.getMessage());
                    return Main.EXIT_CONFIG;
                }
                info = new RuntimeInfoService(state).status(true).info();
            }
            source = "disk: " + config.pluginsDir() + " and the configuration files";
        }
        ObjectMapper json = Json.MAPPER;
        print(System.out, json.readTree(info.get("plugins")), json.readTree(info.get("handlers")));
        System.out.println("(from " + source + ")");
        return 0;
    }

    static void print(PrintStream out, JsonNode plugins, JsonNode handlers) {
        out.printf("%-16s %-10s %-18s %s%n", "PLUGIN", "VERSION", "REQUIRES", "JAR");
        for (JsonNode p : plugins.path("loaded")) {
            out.printf("%-16s %-10s %-18s %s%n", p.path("id").asText(), p.path("version").asText(), p.path("requires").asText(), p.path("jar").asText());
        }
        for (JsonNode p : plugins.path("problems")) {
            out.printf("NOT LOADED %s: %s%n", p.path("jar").asText(), p.path("message").asText());
        }
        if (handlers == null) {
            return;
        }
        out.println();
        out.printf("%-16s %-16s %-8s %-6s %-5s %s%n", "HANDLER", "PLUGIN", "DEFAULT", "READY", "PODS", "CAPABILITIES");
        for (JsonNode h : handlers) {
            StringBuilder caps = new StringBuilder();
            h.path("capabilities").forEach(c -> caps.append(caps.length() == 0 ? "" : ",").append(c.asText()));
            JsonNode health = h.path("health");
            out.printf("%-16s %-16s %-8s %-6s %-5d %s%n", h.path("name").asText(), h.path("plugin").asText(),
                    h.path("default").asBoolean() ? "yes" : "", health.path("ready").asBoolean() ? "yes" : "no",
                    h.path("pods").asInt(), caps.length() == 0 ? "-" : caps);
            if (!health.path("ready").asBoolean()) {
                out.printf("    not ready: %s: %s%n", health.path("reason").asText(), health.path("message").asText());
            }
        }
    }
}
