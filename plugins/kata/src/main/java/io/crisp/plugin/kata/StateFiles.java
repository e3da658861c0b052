package io.crisp.plugin.kata;

import io.crisp.plugin.kit.FileTrees;
import io.crisp.plugin.kit.RecordFiles;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handler's records on disk, one small properties file per pod and per container under the
 * handler's state directory, each replaced atomically, so a daemon killed at any moment leaves
 * either the old or the new record (written through {@link RecordFiles#write}). Ids come
 * from the core (64 hex digits), never from a request, and are checked again here before they
 * become file names.
 */
final class StateFiles {
    private static final Logger LOG = LoggerFactory.getLogger(StateFiles.class);
    /** The format of the records ({@link RecordFiles#VERSION}); records without one are the same format. */
    private static final int RECORD_VERSION = 1;

    private final Path pods;
    private final Path containers;

    StateFiles(Path stateDir) throws IOException {
        this.pods = Files.createDirectories(stateDir.resolve("pods"));
        this.containers = Files.createDirectories(stateDir.resolve("containers"));
    }

    void writePod(String id, Map<String, String> record) {
        write(pods, id, record);
    }

    void writeContainer(String id, Map<String, String> record) {
        write(containers, id, record);
    }

    Optional<Map<String, String>> readPod(String id) {
        return read(pods, id);
    }

    Optional<Map<String, String>> readContainer(String id) {
        return read(containers, id);
    }

    void deletePod(String id) {
        delete(pods, id);
    }

    void deleteContainer(String id) {
        delete(containers, id);
    }

    List<String> podIds() {
        return ids(pods);
    }

    List<String> containerIds() {
        return ids(containers);
    }

    static String checkId(String id) {
        if (id.isEmpty() || id.length() > 128 || !id.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '-' || c == '_')) {
            throw BackendException.invalidArgument("id '%s' is not usable: 1 to 128 letters, digits, '-' or '_'", id);
        }
        return id;
    }

    private static void write(Path dir, String id, Map<String, String> record) {
        Path file = dir.resolve(checkId(id) + ".properties");
        try {
            RecordFiles.write(file, RECORD_VERSION, record);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static Optional<Map<String, String>> read(Path dir, String id) {
        Path file = dir.resolve(checkId(id) + ".properties");
        try {
            return RecordFiles.read(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static void delete(Path dir, String id) {
        try {
            Files.deleteIfExists(dir.resolve(checkId(id) + ".properties"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<String> ids(Path dir) {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.properties")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                out.add(name.substring(0, name.length() - ".properties".length()));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    /** Best effort: what cannot be deleted (a container's stdio directory) is only logged. */
    static void deleteTreeQuietly(Path dir) {
        try {
            FileTrees.deleteTree(dir);
        } catch (IOException e) {
            LOG.debug("cannot delete {}: {}", dir, e.getMessage());
        }
    }
}
