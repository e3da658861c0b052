package io.crisp.plugin.kit.conmon;

import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.model.SandboxSpec;
import io.crisp.spi.model.SandboxState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The sandboxes of the backend that have no infra process ({@link SandboxSpec#infra()} false): the
 * core pinned their namespaces, and containers join those files. Nothing runs for such a sandbox,
 * so no conmon and no runtime state: an empty file {@code STATE/pinned/ID} records it, which a
 * restarted backend finds again. It is ready from its run to its stop, which writes {@code stopped}
 * into the file; whether its namespaces still exist is the core's to check (it made them).
 */
final class PinnedSandboxes {
    private final Path dir;

    /** @param stateDir the handler's state directory; {@code pinned/} is created in it */
    PinnedSandboxes(Path stateDir) throws IOException {
        this.dir = stateDir.resolve("pinned");
        Files.createDirectories(dir);
    }

    /** Records the sandbox; a second run of the same id is refused, as for a sandbox with an infra process. */
    SandboxState run(SandboxSpec spec) {
        if (!ContainerFiles.validId(spec.id())) {
            throw BackendException.invalidArgument("id '%s' is not a valid runtime container id", spec.id());
        }
        try {
            Files.createFile(dir.resolve(spec.id()));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new BackendException(Kind.ALREADY_EXISTS, "sandbox id " + spec.id() + " is in use");
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "sandbox " + spec.id() + ": cannot record it under " + dir + ": " + e, e);
        }
        return state(spec.id());
    }

    boolean contains(String id) {
        return ContainerFiles.validId(id) && Files.exists(dir.resolve(id));
    }

    SandboxState state(String id) {
        boolean stopped;
        try {
            stopped = Files.size(dir.resolve(id)) > 0;
        } catch (java.nio.file.NoSuchFileException e) {
            throw BackendException.notFound("sandbox %s not found in handler state", id);
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "sandbox " + id + ": cannot read " + dir.resolve(id) + ": " + e, e);
        }
        return new SandboxState(id, !stopped, OptionalLong.empty());
    }

    /** Marks the sandbox stopped (not ready); an unknown one is fine. */
    void stop(String id) {
        if (!contains(id)) {
            return;
        }
        try {
            Files.writeString(dir.resolve(id), "stopped\n");
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "sandbox " + id + ": cannot record its stop in " + dir.resolve(id) + ": " + e, e);
        }
    }

    /** Forgets the sandbox; an unknown one is fine. */
    void remove(String id) {
        try {
            Files.deleteIfExists(dir.resolve(id));
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "sandbox " + id + ": cannot delete " + dir.resolve(id) + ": " + e, e);
        }
    }
}
