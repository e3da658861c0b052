package io.crisp.core.oci;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.core.state.Json;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The OCI {@code process} of an exec in a container, as a backend hands it to its runtime (containerd's
 * {@code ExecProcessRequest.spec}, {@code runc exec --process}): the container's own process from the
 * {@code config.json} the core wrote (user, env, cwd, capabilities, AppArmor, noNewPrivileges, rlimits,
 * oomScoreAdj) with {@code args} replaced, {@code terminal} set and {@code consoleSize} removed.
 */
public final class ExecProcesses {
    private static final ObjectMapper JSON = Json.MAPPER;

    private ExecProcesses() {}

    /** From a container's spec; the spec is not changed. */
    public static String processJson(JsonNode spec, List<String> args, boolean terminal) {
        if (args.isEmpty()) {
            throw new IllegalArgumentException("exec needs a command");
        }
        if (!(spec.get("process") instanceof ObjectNode process)) {
            throw new IllegalArgumentException("spec has no process");
        }
        ObjectNode exec = process.deepCopy();
        ArrayNode argv = JSON.createArrayNode();
        args.forEach(argv::add);
        exec.set("args", argv);
        exec.put("terminal", terminal);
        exec.remove("consoleSize");
        try {
            return JSON.writeValueAsString(exec);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * From the {@code config.json} in {@code bundleDir}.
     *
     * @throws BackendException FAILED_PRECONDITION when the file cannot be read or has no process
     */
    public static String processJson(Path bundleDir, List<String> args, boolean terminal) {
        return processJson(containerProcess(bundleDir), args, terminal);
    }

    /**
     * The container's own {@code process}, read once from {@code bundleDir}'s config.json (as a spec
     * holding only it), for {@link #processJson(JsonNode, List, boolean)} on every later exec.
     *
     * @throws BackendException FAILED_PRECONDITION when the file cannot be read or has no process
     */
    public static JsonNode containerProcess(Path bundleDir) {
        Path file = bundleDir.resolve("config.json");
        try {
            JsonNode process = JSON.readTree(file.toFile()).get("process");
            if (!(process instanceof ObjectNode)) {
                throw new IllegalArgumentException("spec has no process");
            }
            return JSON.createObjectNode().set("process", process);
        } catch (IOException | IllegalArgumentException e) {
            throw BackendException.failedPrecondition("cannot derive the exec process from %s: %s", file, e.getMessage());
        }
    }
}
