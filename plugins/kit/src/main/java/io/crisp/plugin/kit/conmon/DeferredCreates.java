package io.crisp.plugin.kit.conmon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.plugin.kit.AtomicFiles;
import io.crisp.plugin.kit.Json;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.model.ContainerSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deferred create a plugin turns on with {@link ConmonHooks#deferCreateToStart()}: CreateContainer
 * checks and records the container (its {@code meta.properties}, enough to launch it later, also
 * for a backend started after a daemon restart) and StartContainer runs conmon with the program's
 * {@code create}, then {@code start}, as containerd creates its task at start.
 *
 * <p>Until then the container is <em>unlaunched</em>: no init pid, no conmon. Its state is CREATED
 * without a pid; exec, attach, stats, log reopen and checkpoint refuse it as any created container
 * (FAILED_PRECONDITION); a resource update goes into the bundle's {@code config.json}, which the
 * create then applies; a stop records exit 137 (what the SIGKILL of a created container's init
 * gave before), so the container is exited and cannot start any more; a removal has no process
 * and no runtime state to delete.
 *
 * <p>A create or start that fails at StartContainer leaves the container exited with code 128 and
 * reason {@code StartError} (containerd's), its processes and runtime state gone, and the call
 * fails with the program's error; the container is then removed as any exited one.
 */
final class DeferredCreates {
    private static final Logger LOG = LoggerFactory.getLogger(DeferredCreates.class);
    /** containerd's exit code and reason for a container whose start failed. */
    static final int START_ERROR_CODE = 128;
    static final String START_ERROR = "StartError";
    /** A stop of an unlaunched container: as if its created init had been SIGKILLed. */
    private static final int STOPPED_UNLAUNCHED_CODE = 128 + 9;
    private static final ObjectMapper JSON = Json.MAPPER;

    private final boolean enabled;
    private final ContainerFiles files;
    private final ConmonLauncher conmon;
    private final RuntimeCli cli;
    private final ExitTracker exits;

    DeferredCreates(boolean enabled, ContainerFiles files, ConmonLauncher conmon, RuntimeCli cli, ExitTracker exits) {
        this.enabled = enabled;
        this.files = files;
        this.conmon = conmon;
        this.cli = cli;
        this.exits = exits;
    }

    /** Whether the create of {@code t} waits for its start: a container (not a sandbox), not restored from a checkpoint. */
    boolean defers(Tracked t, Optional<Path> restoreFrom) {
        return enabled && !t.sandbox && restoreFrom.isEmpty();
    }

    /** CreateContainer's cheap check of what the start will need: the bundle's config.json. */
    void check(ContainerSpec spec, Optional<Path> restoreFrom) {
        if (enabled && restoreFrom.isEmpty() && !Files.isRegularFile(spec.bundleDir().resolve("config.json"))) {
            throw BackendException.invalidArgument("container %s: bundle %s has no config.json", spec.id(), spec.bundleDir());
        }
    }

    /** A container whose create was deferred and has not run: no pid, no exit, no conmon. */
    boolean unlaunched(Tracked t) {
        return enabled && !t.sandbox && t.pid().isEmpty() && t.startedAt().isEmpty() && !exits.refresh(t)
                && !conmon.conmonAlive(t.id);
    }

    /** Whether the program may hold state for {@code t}: false for a container whose create never began. */
    boolean mayBeKnownToRuntime(Tracked t) {
        return !enabled || t.sandbox || t.pid().isPresent() || Files.exists(files.conmonPidFile(t.id));
    }

    /**
     * StartContainer of an unlaunched container: conmon and the program's {@code create}. On failure
     * the container is left exited ({@link #recordStartError}) and the create's error is thrown.
     */
    void launch(Tracked t) {
        clearCutShortLaunch(t);
        try {
            t.pid(conmon.launch(t.id, t.name, t.bundle, t.logPath, t.stdio));
        } catch (RuntimeException e) {
            recordStartError(t, e.getMessage());
            throw e;
        }
    }

    /**
     * A daemon killed while conmon ran the create (no pid recorded) leaves conmon's files, maybe
     * conmon and a half-made container: gone before the new launch.
     */
    private void clearCutShortLaunch(Tracked t) {
        if (!Files.exists(files.conmonPidFile(t.id))) {
            return;
        }
        LOG.info("container {}: a launch was cut short (daemon restart); launching again", t.id);
        conmon.awaitOrKillConmon(t.id);
        RuntimeCli.Result r = cli.delete(t.id);
        if (!r.ok() && !r.saysGoneOrStopped()) {
            RuntimeCli.check(r, t.id, "delete of the cut-short create");
        }
        try {
            Files.deleteIfExists(files.pidFile(t.id));
            Files.deleteIfExists(files.conmonPidFile(t.id));
            Files.deleteIfExists(files.syncFile(t.id));
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "container " + t.id + ": cannot clear its cut-short launch: " + e, e);
        }
    }

    /**
     * The create or start of {@code t} failed at StartContainer: its processes go, and it is recorded
     * as exited with {@link #START_ERROR} (the marker first, so that any exit recorded from here on
     * carries that reason). The program's state goes with the delete that follows every exit.
     */
    void recordStartError(Tracked t, String message) {
        try {
            AtomicFiles.replace(files.startErrorFile(t.id), String.valueOf(message).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            LOG.warn("container {}: cannot record its start error: {}", t.id, e.toString());
        }
        if (t.pid().isPresent()) {
            RuntimeCli.Result r = cli.kill(t.id, 9, true);
            if (!r.ok() && !r.saysGoneOrStopped()) {
                LOG.warn("container {}: kill after its failed start failed (exit {}): {}", t.id, r.exitCode(), r.output());
            }
        }
        conmon.awaitOrKillConmon(t.id);
        ContainerFiles.deleteConmonFilesInBundle(t.id, t.bundle);
        recordExit(t, START_ERROR_CODE);
    }

    /** StopContainer of an unlaunched container: nothing runs; it is recorded as exited. */
    void stopUnlaunched(Tracked t) {
        recordExit(t, STOPPED_UNLAUNCHED_CODE);
    }

    private void recordExit(Tracked t, int code) {
        if (!Files.exists(files.exitFile(t.id))) {
            exits.writeExit(t, code);
        }
        if (exits.refresh(t)) {
            exits.report(t);
        }
    }

    /**
     * UpdateContainerResources of an unlaunched container: merged into the bundle's
     * {@code linux.resources} (objects field by field, like the program's {@code update}: what the
     * update names replaces, the rest stays), which the deferred create applies.
     */
    void updateBundle(Tracked t, String linuxResourcesJson) {
        Path config = t.bundle.resolve("config.json");
        try {
            JsonNode update = JSON.readTree(linuxResourcesJson);
            if (update == null || !update.isObject()) {
                throw BackendException.invalidArgument("container %s: the resources to update are not a JSON object", t.id);
            }
            JsonNode spec = JSON.readTree(config.toFile());
            if (spec == null || !spec.isObject()) {
                throw new BackendException(Kind.INTERNAL, "container " + t.id + ": " + config + " holds no JSON object");
            }
            merge(child(child((ObjectNode) spec, "linux"), "resources"), (ObjectNode) update);
            AtomicFiles.replace(config, JSON.writeValueAsBytes(spec)); // the bundle lives in the state directory
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "container " + t.id + ": cannot update the resources in " + config + ": " + e, e);
        }
    }

    private static ObjectNode child(ObjectNode parent, String name) {
        return parent.get(name) instanceof ObjectNode existing ? existing : parent.putObject(name);
    }

    /** Sets each field of {@code update} in {@code target}, merging objects into objects. */
    static void merge(ObjectNode target, ObjectNode update) {
        for (Map.Entry<String, JsonNode> field : update.properties()) {
            JsonNode old = target.get(field.getKey());
            if (old instanceof ObjectNode oldObject && field.getValue() instanceof ObjectNode newObject) {
                merge(oldObject, newObject);
            } else {
                target.set(field.getKey(), field.getValue());
            }
        }
    }
}
