package io.crisp.plugin.kit.conmon;

import io.crisp.plugin.kit.AtomicFiles;
import io.crisp.plugin.kit.FileTrees;
import io.crisp.plugin.kit.RecordFiles;
import io.crisp.plugin.kit.TrashDir;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend's files under the handler's state directory; everything a restarted daemon needs.
 *
 * <pre>
 * STATE/exits/ID             conmon --exit-dir: the exit code, written when the container exits
 * STATE/sock/ID -> BUNDLE    conmon --socket-dir-path: symlink to the bundle, which holds "attach"
 * STATE/objects/ID/          conmon --persist-dir, one per sandbox or container
 *     meta.properties        kind, bundle, name, log path, stdin/stdinOnce/tty, version (written by the backend)
 *     started                instant of a successful runtime start (written by the backend)
 *     pid / conmon.pid       container init pid (runc --pid-file) and conmon's pid
 *     sync                   what conmon wrote on its sync pipe: {"data": PID} or {"data": -1, "message": ...}
 *     runtime.log            runc --log, JSON lines
 *     conmon.out             conmon's own stdout/stderr before it daemonises
 *     exit / oom             written by conmon: exit code, and an empty file on an OOM kill
 *     start-error            the error of a deferred create or start that failed ({@link DeferredCreates})
 *     console.log            CRI log of a sandbox or of a container without a log path
 * STATE/objects/.trash/      removed objects' directories, deleted in the background ({@link TrashDir})
 * </pre>
 */
final class ContainerFiles {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerFiles.class);
    /** Ids become file names and runtime arguments: keep them to what runc accepts. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}");
    /** The format of meta.properties ({@link RecordFiles#VERSION}); files without one are the same format. */
    private static final int META_VERSION = 1;

    private final Path root;
    /** Made by {@link #createLayout}; until then a removal deletes in place. */
    private volatile TrashDir trash;

    ContainerFiles(Path stateDir) {
        this.root = stateDir;
    }

    static boolean validId(String id) {
        return ID.matcher(id).matches();
    }

    void createLayout() throws IOException {
        Files.createDirectories(exitDir());
        Files.createDirectories(socketDir());
        Files.createDirectories(objectsDir());
        trash = new TrashDir(objectsDir(), "objects-trash-" + root.getFileName());
    }

    /** Stops deleting in the background (what is left is deleted on the next start). */
    void close() {
        TrashDir t = trash;
        if (t != null) {
            t.close();
        }
    }

    Path exitDir() {
        return root.resolve("exits");
    }

    Path socketDir() {
        return root.resolve("sock");
    }

    Path objectsDir() {
        return root.resolve("objects");
    }

    Path dir(String id) {
        return objectsDir().resolve(id);
    }

    Path exitFile(String id) {
        return exitDir().resolve(id);
    }

    Path meta(String id) {
        return dir(id).resolve("meta.properties");
    }

    Path started(String id) {
        return dir(id).resolve("started");
    }

    Path pidFile(String id) {
        return dir(id).resolve("pid");
    }

    Path conmonPidFile(String id) {
        return dir(id).resolve("conmon.pid");
    }

    Path syncFile(String id) {
        return dir(id).resolve("sync");
    }

    Path runtimeLog(String id) {
        return dir(id).resolve("runtime.log");
    }

    Path conmonOutput(String id) {
        return dir(id).resolve("conmon.out");
    }

    Path oomFile(String id) {
        return dir(id).resolve("oom");
    }

    Path startErrorFile(String id) {
        return dir(id).resolve("start-error");
    }

    Path defaultLog(String id) {
        return dir(id).resolve("console.log");
    }

    /** Ids that have a meta file, i.e. objects this backend created and did not remove. */
    List<String> knownIds() throws IOException {
        List<String> ids = new ArrayList<>();
        if (!Files.isDirectory(objectsDir())) {
            return ids;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(objectsDir())) {
            for (Path d : dirs) {
                if (Files.isRegularFile(d.resolve("meta.properties"))) {
                    ids.add(d.getFileName().toString());
                }
            }
        }
        return ids;
    }

    void writeMeta(String id, Properties meta) throws IOException {
        Map<String, String> record = new TreeMap<>();
        meta.stringPropertyNames().forEach(k -> record.put(k, meta.getProperty(k)));
        RecordFiles.replace(meta(id), META_VERSION, record); // the state directory: tmpfs
    }

    Optional<Properties> readMeta(String id) throws IOException {
        return RecordFiles.read(meta(id)).map(record -> {
            Properties p = new Properties();
            p.putAll(record);
            return p;
        });
    }

    void writeStarted(String id, Instant at) throws IOException {
        AtomicFiles.replace(started(id), at.toString().getBytes(StandardCharsets.UTF_8));
    }

    Optional<Instant> readStarted(String id) throws IOException {
        return readTrimmed(started(id)).map(Instant::parse);
    }

    /** A pid file's number; empty when the file is missing, empty or not a number yet. */
    static OptionalLong readPid(Path file) {
        try {
            Optional<String> text = readTrimmed(file);
            if (text.isEmpty() || text.get().isEmpty()) {
                return OptionalLong.empty();
            }
            return OptionalLong.of(Long.parseLong(text.get()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    static Optional<String> readTrimmed(Path file) throws IOException {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8).trim());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * Deletes everything the backend keeps for {@code id}; missing files are fine. The object's
     * directory leaves its name at once (no restart finds the object again) and its files are deleted
     * in the background.
     */
    void deleteAll(String id) {
        try {
            // the meta file first: without it the object is unknown, so a kill part way never leaves
            // one that looks running because its exit file went already
            Files.deleteIfExists(meta(id));
            Files.deleteIfExists(exitFile(id));
            Files.deleteIfExists(socketDir().resolve(id));
            TrashDir t = trash;
            if (t != null) {
                t.discard(dir(id));
            } else {
                FileTrees.deleteTree(dir(id));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the state of " + id + " under " + root, e);
        }
    }

    /**
     * Deletes what conmon left in the bundle: its control and resize fifos and the attach socket
     * (the bundle itself is the core's). Failures are only logged.
     */
    static void deleteConmonFilesInBundle(String id, Path bundle) {
        for (String leftover : new String[] {"ctl", "winsz", "attach"}) {
            try {
                Files.deleteIfExists(bundle.resolve(leftover));
            } catch (IOException e) {
                LOG.debug("container {}: cannot delete {} in its bundle", id, leftover, e);
            }
        }
    }
}
