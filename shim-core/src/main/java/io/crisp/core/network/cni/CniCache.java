package io.crisp.core.network.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.core.state.AtomicFiles;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One file per pod, {@code <cacheDir>/<sandboxId>.json}, written atomically with mode 0600: the
 * list config ADD used, its final result (null while ADD runs or after it failed half way), and the
 * inputs, so that DEL and CHECK run with exactly what ADD saw, also after a restart or a config change.
 */
final class CniCache {
    private static final Pattern SANDBOX_ID = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}");

    /** What the cache file holds. */
    record Entry(String sandboxId, String networkName, String cniVersion, JsonNode config, JsonNode result,
            String ifName, String netns, String podName, String podNamespace, String podUid,
            ObjectNode capabilityArgs) {
        Entry withResult(JsonNode newResult) {
            return new Entry(sandboxId, networkName, cniVersion, config, newResult, ifName, netns, podName,
                    podNamespace, podUid, capabilityArgs);
        }
    }

    private final Path dir;

    /** Made once per daemon, before any pod: temp files of a write the previous daemon was killed in go. */
    CniCache(Path dir) {
        this.dir = dir;
        try {
            AtomicFiles.removeLeftovers(dir);
        } catch (java.io.IOException e) {
            org.slf4j.LoggerFactory.getLogger(CniCache.class).warn("Cannot remove temp files in {}: {}", dir, e.getMessage());
        }
    }

    static String validSandboxId(String sandboxId) {
        if (sandboxId == null || !SANDBOX_ID.matcher(sandboxId).matches()) {
            throw BackendException.invalidArgument(
                    "sandbox id \"%s\" is not a valid CNI container id ([a-zA-Z0-9][a-zA-Z0-9_.-]{0,127})", sandboxId);
        }
        return sandboxId;
    }

    Path file(String sandboxId) {
        return dir.resolve(validSandboxId(sandboxId) + ".json");
    }

    void write(Entry entry) {
        Path file = file(entry.sandboxId());
        try {
            AtomicFiles.write(file, CniConfig.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(entry));
        } catch (IOException e) {
            throw new BackendException(BackendException.Kind.UNAVAILABLE,
                    "cannot write CNI cache file " + file + ": " + e.getMessage(), e);
        }
    }

    Optional<Entry> read(String sandboxId) {
        Path file = file(sandboxId);
        try {
            return Optional.of(CniConfig.JSON.readValue(Files.readAllBytes(file), Entry.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new BackendException(BackendException.Kind.INTERNAL,
                    "cannot read CNI cache file " + file + ": " + e.getMessage(), e);
        }
    }

    void delete(String sandboxId) {
        Path file = file(sandboxId);
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new BackendException(BackendException.Kind.INTERNAL,
                    "cannot delete CNI cache file " + file + ": " + e.getMessage(), e);
        }
    }
}
