package io.crisp.core.network.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.core.os.ChildRun;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Finds plugin binaries in the bin dirs and runs them the way the CNI spec says: config on stdin,
 * parameters in CNI_* variables of an otherwise clean environment (PATH kept, portmap needs iptables),
 * result or error JSON on stdout, through pipes ({@link ChildRun}: no temp files, output read as it
 * comes so a plugin that writes a lot cannot block); a call that outlives the timeout is killed with
 * its children.
 */
final class CniPlugins {
    private static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final int OUTPUT_LIMIT = 4096;
    /** A result bigger than this is refused; real ones are a few hundred bytes to a few KiB. */
    private static final int RESULT_LIMIT = 1024 * 1024;
    /** CNI error codes that mean the configuration or request is wrong, not the host. */
    private static final Set<Integer> INVALID_CODES = Set.of(1, 2, 4, 6, 7);

    private final List<Path> binDirs;
    private final Duration timeout;
    private final AtomicLong execNanos = new AtomicLong();

    CniPlugins(List<Path> binDirs, Duration timeout) {
        this.binDirs = List.copyOf(binDirs);
        this.timeout = timeout;
    }

    /** The process parameters of one call, besides the command. */
    record Call(String containerId, String netns, String ifName, String cniArgs) {}

    Optional<Path> find(String type) {
        for (Path dir : binDirs) {
            Path binary = dir.resolve(type);
            if (Files.isRegularFile(binary) && Files.isExecutable(binary)) {
                return Optional.of(binary);
            }
        }
        return Optional.empty();
    }

    /** "" when every type has a binary, else a message naming the first missing one and the dirs searched. */
    String missing(List<String> types) {
        for (String type : types) {
            if (find(type).isEmpty()) {
                return "CNI plugin binary \"" + type + "\" not found in " + binDirsText();
            }
        }
        return "";
    }

    /** Wall time spent waiting for plugin processes since this object was made. */
    long execNanos() {
        return execNanos.get();
    }

    /** Runs one plugin; returns its stdout parsed (a result for ADD, usually empty for DEL and CHECK). */
    JsonNode invoke(String type, String command, Call call, ObjectNode config) {
        Path binary = find(type).orElseThrow(() -> BackendException.unavailable(
                "CNI plugin \"%s\" (%s) not found in %s", type, command, binDirsText()));
        ProcessBuilder builder = new ProcessBuilder(binary.toString());
        Map<String, String> env = builder.environment();
        env.clear();
        String path = System.getenv("PATH");
        env.put("PATH", path == null || path.isEmpty() ? DEFAULT_PATH : path);
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", call.containerId());
        env.put("CNI_NETNS", call.netns());
        env.put("CNI_IFNAME", call.ifName());
        env.put("CNI_ARGS", call.cniArgs());
        env.put("CNI_PATH", binDirs.stream().map(Path::toString).collect(Collectors.joining(":")));
        ChildRun.Outcome outcome;
        long start = System.nanoTime();
        try {
            outcome = ChildRun.run(builder, CniConfig.JSON.writeValueAsBytes(config), RESULT_LIMIT, timeout);
        } catch (ChildRun.Hung e) {
            throw BackendException.unavailable("CNI plugin %s %s timed out after %d s and was killed",
                    type, command, timeout.toSeconds());
        } catch (InterruptedIOException e) {
            Thread.currentThread().interrupt();
            throw BackendException.unavailable("interrupted while running CNI plugin %s %s", type, command);
        } catch (IOException e) {
            throw new BackendException(BackendException.Kind.UNAVAILABLE,
                    "cannot run CNI plugin " + type + " " + command + ": " + e.getMessage(), e);
        } finally {
            execNanos.addAndGet(System.nanoTime() - start);
        }
        byte[] out = outcome.stdout();
        if (outcome.exitCode() != 0) {
            throw failure(type, command, outcome.exitCode(), out, head(outcome.stderr()));
        }
        if (out.length == RESULT_LIMIT) {
            throw BackendException.unavailable("CNI plugin %s %s printed a result of more than %d bytes",
                    type, command, RESULT_LIMIT - 1);
        }
        if (out.length == 0 || new String(out, StandardCharsets.UTF_8).isBlank()) {
            return CniConfig.JSON.nullNode();
        }
        try {
            return CniConfig.JSON.readTree(out);
        } catch (IOException e) {
            throw BackendException.unavailable("CNI plugin %s %s printed a result that is not JSON: %s",
                    type, command, head(out));
        }
    }

    /** The exception for a plugin that exited non-zero, from its error JSON ({code, msg, details}) and stderr. */
    static BackendException failure(String type, String command, int exitCode, byte[] stdout, String stderr) {
        StringBuilder message = new StringBuilder("CNI plugin ").append(type).append(' ').append(command)
                .append(" failed");
        BackendException.Kind kind = BackendException.Kind.UNAVAILABLE;
        JsonNode error = null;
        try {
            error = stdout.length == 0 ? null : CniConfig.JSON.readTree(stdout);
        } catch (IOException e) {
            // not JSON: shown raw below
        }
        if (error != null && error.isObject() && (error.has("msg") || error.has("code"))) {
            int code = error.path("code").asInt(0);
            if (INVALID_CODES.contains(code)) {
                kind = BackendException.Kind.INVALID_ARGUMENT;
            }
            message.append(" (code ").append(code).append("): ").append(error.path("msg").asText(""));
            String details = error.path("details").asText("");
            if (!details.isEmpty()) {
                message.append(": ").append(details);
            }
        } else {
            message.append(" with exit code ").append(exitCode);
            String raw = head(stdout);
            if (!raw.isEmpty()) {
                message.append(": ").append(raw);
            }
        }
        if (stderr != null && !stderr.isBlank()) {
            message.append("; stderr: ").append(stderr.strip());
        }
        return new BackendException(kind, message.toString());
    }

    /** CNI_ARGS as Kubernetes runtimes pass them. */
    static String cniArgs(String podNamespace, String podName, String sandboxId, String podUid) {
        return "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + podNamespace + ";K8S_POD_NAME=" + podName
                + ";K8S_POD_INFRA_CONTAINER_ID=" + sandboxId + ";K8S_POD_UID=" + podUid;
    }

    private String binDirsText() {
        return binDirs.stream().map(Path::toString).collect(Collectors.joining(", ", "[", "]"));
    }

    private static String head(byte[] bytes) {
        String text = new String(bytes, 0, Math.min(bytes.length, OUTPUT_LIMIT), StandardCharsets.UTF_8).strip();
        return bytes.length > OUTPUT_LIMIT ? text + "..." : text;
    }
}
