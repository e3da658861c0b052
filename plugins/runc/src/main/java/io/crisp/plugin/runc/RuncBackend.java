package io.crisp.plugin.runc;

import io.crisp.spi.BackendHealth;
import io.crisp.spi.Capability;
import io.crisp.spi.RuntimeBackend;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The runc handler's backend. In this release it checks that its binaries are present and reports
 * their versions; the pod and container lifecycle arrives with issue 4, and until then every
 * lifecycle call answers UNIMPLEMENTED (the SPI defaults), never a fake success.
 */
final class RuncBackend implements RuntimeBackend {
    private final RuncConfig config;
    private final CompletableFuture<String> runtimeVersion;

    RuncBackend(RuncConfig config) {
        this.config = config;
        // Probed once, off the start path: Status is polled every few seconds and must not fork,
        // and the daemon should not wait for the runtime binary to start serving.
        this.runtimeVersion = CompletableFuture.supplyAsync(() -> probeVersion(config.runtimePath()));
    }

    @Override
    public Set<Capability> capabilities() {
        return Set.of();
    }

    @Override
    public BackendHealth health() {
        if (!Files.isExecutable(config.runtimePath())) {
            return BackendHealth.unhealthy("RuntimeBinaryMissing",
                    "OCI runtime " + config.runtimePath() + " is missing or not executable (set runtime_path)");
        }
        if (!Files.isExecutable(config.monitorPath())) {
            return BackendHealth.unhealthy("MonitorBinaryMissing",
                    "conmon " + config.monitorPath() + " is missing or not executable (set monitor_path)");
        }
        return BackendHealth.healthy();
    }

    @Override
    public Map<String, String> describe() {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("runtime_path", config.runtimePath().toString());
        facts.put("runtime_version", runtimeVersion.getNow("probing"));
        facts.put("runtime_root", config.runtimeRoot().toString());
        facts.put("monitor_path", config.monitorPath().toString());
        return facts;
    }

    @Override
    public void close() {}

    /** First line of {@code <runtime> --version}, or a note saying why there is none. */
    static String probeVersion(Path binary) {
        if (!Files.isExecutable(binary)) {
            return "unavailable: " + binary + " is not executable";
        }
        try {
            Process process = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output;
            try (InputStream in = process.getInputStream()) {
                output = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
            }
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return "unavailable: " + binary + " --version did not finish in 5s";
            }
            String first = output.lines().findFirst().orElse("").trim();
            return first.isEmpty() ? "unknown" : first;
        } catch (IOException e) {
            return "unavailable: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unavailable: interrupted";
        }
    }
}
