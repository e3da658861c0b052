package io.crisp.plugin.kit.conmon;

import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The backend's sandboxes and containers by id: in memory, and each in its own directory of
 * {@link ContainerFiles}, from which an object unknown in memory is rebuilt (after a daemon
 * restart) and handed to {@code adopt} (exits and starts that happened meanwhile) before anyone sees it.
 */
final class TrackedObjects {
    private final Map<String, Tracked> objects = new ConcurrentHashMap<>();
    private final ContainerFiles files;
    private final Consumer<Tracked> adopt;

    TrackedObjects(ContainerFiles files, Consumer<Tracked> adopt) {
        this.files = files;
        this.adopt = adopt;
    }

    /** The objects in memory, a live view. */
    Collection<Tracked> all() {
        return objects.values();
    }

    /**
     * A new object, in memory and with its directory and meta file written.
     *
     * @param cgroupsPath the spec's linux.cgroupsPath as the core gave it; empty: none (no stats)
     * @throws BackendException INVALID_ARGUMENT for an id that is no runtime id, ALREADY_EXISTS when it is in use
     */
    Tracked register(String id, boolean sandbox, String name, Path bundle, Optional<Path> logPath, Tracked.Stdio stdio,
            String cgroupsPath) {
        if (!ContainerFiles.validId(id)) {
            throw BackendException.invalidArgument("id '%s' is not a valid runtime container id", id);
        }
        Path log = logPath.filter(p -> !p.toString().isEmpty()).orElse(files.defaultLog(id));
        Tracked t = new Tracked(id, sandbox, name, bundle, log, stdio, Optional.of(cgroupsPath).filter(p -> !p.isEmpty()));
        if (objects.putIfAbsent(id, t) != null) {
            throw new BackendException(Kind.ALREADY_EXISTS, "container id " + id + " is in use");
        }
        try {
            Files.createDirectory(files.dir(id));
        } catch (FileAlreadyExistsException e) {
            objects.remove(id, t);
            throw new BackendException(Kind.ALREADY_EXISTS, "container id " + id + " is in use (state " + files.dir(id) + ")");
        } catch (IOException e) {
            objects.remove(id, t);
            throw new BackendException(Kind.INTERNAL, "container " + id + ": cannot create " + files.dir(id) + ": " + e, e);
        }
        try {
            if (log.getParent() != null) {
                Files.createDirectories(log.getParent());
            }
            files.writeMeta(id, t.toMeta());
        } catch (IOException e) {
            forget(t);
            throw new BackendException(Kind.INTERNAL, "container " + id + ": cannot write its state: " + e, e);
        }
        return t;
    }

    /** Deletes the object's files and drops it from memory. */
    void forget(Tracked t) {
        try {
            deleteFiles(t.id);
        } finally {
            objects.remove(t.id, t);
        }
    }

    /** Deletes the files of an id; for an object no longer known, whose removal was cut short. */
    void deleteFiles(String id) {
        try {
            files.deleteAll(id);
        } catch (UncheckedIOException e) {
            throw new BackendException(Kind.INTERNAL, e.getMessage(), e);
        }
    }

    /** @throws BackendException NOT_FOUND naming {@code kind} ("sandbox", "container") */
    Tracked require(String id, String kind) {
        return find(id).orElseThrow(() -> BackendException.notFound("%s %s not found in handler state", kind, id));
    }

    /** The object from memory, or rebuilt from its files (after a restart); empty if unknown. */
    Optional<Tracked> find(String id) {
        Tracked known = objects.get(id);
        if (known != null || !ContainerFiles.validId(id)) {
            return Optional.ofNullable(known);
        }
        try {
            Optional<Tracked> loaded = Tracked.load(files, id);
            if (loaded.isEmpty()) {
                return Optional.empty();
            }
            Tracked t = loaded.get();
            Tracked raced = objects.putIfAbsent(id, t);
            if (raced != null) {
                return Optional.of(raced);
            }
            adopt.accept(t);
            return Optional.of(t);
        } catch (IOException | RuntimeException e) {
            throw new BackendException(Kind.INTERNAL, "container " + id + ": cannot read its state under "
                    + files.dir(id) + ": " + e.getMessage(), e);
        }
    }
}
