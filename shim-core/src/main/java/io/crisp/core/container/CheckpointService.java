package io.crisp.core.container;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.core.bundle.Bundles;
import io.crisp.core.plugin.Handler;
import io.crisp.core.sandbox.SandboxStore;
import io.crisp.core.state.FileTrees;
import io.crisp.core.state.Json;
import io.crisp.core.state.KeyedLocks;
import io.crisp.spi.BackendException;
import io.crisp.spi.Capability;
import io.crisp.spi.model.CheckpointSpec;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.ContainerState;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CRI {@code CheckpointContainer} and the restore of its archive (KEP-2008, forensic container
 * checkpointing). The backend writes the CRIU images ({@link io.crisp.spi.RuntimeBackend#checkpointContainer});
 * this class adds the spec, the metadata and the root filesystem changes and writes the archive in
 * CRI-O's layout ({@link CheckpointArchive}). A CreateContainer whose image is the path of such an
 * archive restores it: the container is created from the checkpointed container's image, with its
 * root filesystem changes applied and the CRIU images kept in its bundle ({@code checkpoint/}), and
 * its StartContainer restores the processes ({@link io.crisp.spi.RuntimeBackend#restoreContainer}),
 * as CRI-O does.
 */
public final class CheckpointService {
    private static final Logger log = LoggerFactory.getLogger(CheckpointService.class);
    private static final ObjectMapper JSON = Json.MAPPER;

    private final SandboxStore sandboxes;
    private final ContainerStore containers;
    private final Bundles bundles;
    private final KeyedLocks locks;
    /** Where archives are assembled and unpacked ({@code <root>/checkpoints}), each in a directory of its own. */
    private final Path workRoot;

    public CheckpointService(SandboxStore sandboxes, ContainerStore containers, Bundles bundles, KeyedLocks locks, Path workRoot) {
        this.sandboxes = sandboxes;
        this.containers = containers;
        this.bundles = bundles;
        this.locks = locks;
        this.workRoot = workRoot;
        deleteQuietly(workRoot); // what a daemon killed during a checkpoint or restore left
    }

    /**
     * Checkpoints a running container into the archive {@code location} (written whole or not at
     * all); the container keeps running, as the kubelet's checkpoint asks.
     */
    public void checkpoint(String idOrPrefix, String location, Duration timeout) {
        Container found = containers.resolve(idOrPrefix, "container_id");
        Handler handler = sandboxes.handler(found.sandboxId()).orElseThrow(() -> BackendException.failedPrecondition(
                "container %s: the runtime handler of its pod %s is not configured any more", found.id(), found.sandboxId()));
        if (!handler.supports(Capability.CHECKPOINT_RESTORE)) {
            throw BackendException.unimplemented(handler.name(), "CheckpointContainer");
        }
        if (location.isEmpty() || !location.startsWith("/")) {
            throw BackendException.invalidArgument("location: the checkpoint archive's path must be absolute, got '%s'", location);
        }
        Path archive = Path.of(location).normalize();
        if (archive.getParent() == null || !Files.isDirectory(archive.getParent()) || Files.isDirectory(archive)) {
            throw BackendException.invalidArgument("location: %s is not a file in an existing directory", location);
        }
        locks.run(found.id(), () -> {
            Container c = containers.find(found.id()).orElseThrow(() -> BackendException.notFound("container_id: container %s not found", found.id()));
            if (!c.running()) {
                throw BackendException.failedPrecondition("container_id: container %s is not running", c.id());
            }
            Path work = newWorkDir(c.id());
            Path partial = archive.resolveSibling(archive.getFileName() + ".partial");
            try {
                Path images = Files.createDirectory(work.resolve(CheckpointArchive.IMAGES));
                Instant at = Instant.now();
                handler.backend().checkpointContainer(new CheckpointSpec(c.id(), images, work, true, timeout));
                Files.copy(bundles.bundle(c.id()).resolve("config.json"), work.resolve(CheckpointArchive.SPEC_DUMP));
                JSON.writeValue(work.resolve(CheckpointArchive.CONFIG_DUMP).toFile(), configDump(c, handler.name(), at));
                CheckpointArchive.writeRootfsDiff(bundles.writableLayer(c.id()).directory(), work);
                CheckpointArchive.pack(work, partial);
                Files.move(partial, archive, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                log.info("Checkpointed container {} ({}) to {}", c.id(), c.settings().name(), archive);
            } catch (IOException e) {
                throw new UncheckedIOException("container " + c.id() + ": cannot write the checkpoint archive " + archive + ": " + e.getMessage(), e);
            } finally {
                deleteQuietly(work);
                deleteQuietly(partial); // gone after the rename; left by a failure otherwise
            }
        });
    }

    /** CRI-O's {@code config.dump}: the fields checkpointctl shows and a restore reads. */
    private static ObjectNode configDump(Container c, String handler, Instant at) {
        ObjectNode dump = JSON.createObjectNode();
        dump.put("id", c.id());
        dump.put("name", c.settings().name());
        dump.put("rootfsImage", c.imageId());
        dump.put("rootfsImageRef", c.imageRef());
        dump.put("rootfsImageName", c.image());
        dump.put("runtime", handler);
        dump.put("createdTime", Instant.ofEpochSecond(0, c.createdAtNanos()).toString());
        dump.put("checkpointedTime", at.toString());
        dump.put("restoredTime", Instant.EPOCH.toString());
        dump.put("restored", false);
        return dump;
    }

    /** The archive a CreateContainer image names: an absolute path to a regular file; empty for an image reference. */
    public Optional<Path> archiveOf(String image) {
        if (!image.startsWith("/")) {
            return Optional.empty();
        }
        Path path = Path.of(image);
        if (!Files.isRegularFile(path)) {
            throw BackendException.notFound("config.image.image: %s is neither a pulled image nor a checkpoint archive", image);
        }
        return Optional.of(path);
    }

    /**
     * Unpacks a checkpoint archive for a restore into a fresh work directory, which the caller passes
     * to {@link #prepareRestore} and then to {@link #discard}.
     *
     * @return the work directory and the image the checkpointed container ran ({@code rootfsImageRef}, else its name)
     */
    public Unpacked unpack(Path archive) {
        Path work = newWorkDir("restore");
        try (InputStream in = Files.newInputStream(archive)) {
            CheckpointArchive.unpack(in, work);
            Path config = work.resolve(CheckpointArchive.CONFIG_DUMP);
            if (!Files.isRegularFile(config) || !Files.isDirectory(work.resolve(CheckpointArchive.IMAGES))) {
                throw BackendException.invalidArgument("config.image.image: %s is not a checkpoint archive (no %s or %s/)", archive,
                        CheckpointArchive.CONFIG_DUMP, CheckpointArchive.IMAGES);
            }
            JsonNode dump = JSON.readTree(config.toFile());
            String image = dump.path("rootfsImageRef").asText("");
            return new Unpacked(work, image.isEmpty() ? dump.path("rootfsImageName").asText("") : image, dump.path("rootfsImageName").asText(""));
        } catch (IOException | RuntimeException e) {
            deleteQuietly(work);
            if (e instanceof BackendException b) {
                throw b;
            }
            throw BackendException.invalidArgument("config.image.image: cannot read the checkpoint archive %s: %s", archive, e.getMessage());
        }
    }

    /** An unpacked archive: its directory, the image to restore onto, and the image's name as the checkpoint recorded it. */
    public record Unpacked(Path dir, String image, String imageName) {}

    /** Applies the checkpoint's root filesystem changes to the new container's rootfs and moves its CRIU images into the bundle. */
    public void prepareRestore(Unpacked unpacked, Path rootfs, Path bundle) throws IOException {
        CheckpointArchive.applyRootfsDiff(unpacked.dir(), rootfs);
        Files.move(unpacked.dir().resolve(CheckpointArchive.IMAGES), bundle.resolve(CheckpointArchive.IMAGES));
    }

    public void discard(Unpacked unpacked) {
        deleteQuietly(unpacked.dir());
    }

    /** Whether the created container waits for its processes to be restored from a checkpoint at start. */
    public boolean restoring(Container c) {
        return c.state() == Container.State.CREATED && Files.isDirectory(bundles.bundle(c.id()).resolve(CheckpointArchive.IMAGES));
    }

    /** StartContainer of a restoring container: the backend restores its processes; the images go once it runs. */
    ContainerState restore(Container c, Handler handler) {
        if (!handler.supports(Capability.CHECKPOINT_RESTORE)) {
            throw BackendException.unimplemented(handler.name(), "restore of a checkpoint");
        }
        Path bundle = bundles.bundle(c.id());
        String cgroupsPath;
        try {
            cgroupsPath = JSON.readTree(bundle.resolve("config.json").toFile()).path("linux").path("cgroupsPath").asText("");
        } catch (IOException e) {
            throw new UncheckedIOException("container " + c.id() + ": cannot read its config.json: " + e.getMessage(), e);
        }
        Map<String, String> annotations = new HashMap<>(c.settings().annotations());
        ContainerSpec spec = new ContainerSpec(c.id(), c.sandboxId(), c.settings().name(), bundle,
                c.logPath().isEmpty() ? Optional.empty() : Optional.of(Path.of(c.logPath())), c.settings().stdin(),
                c.settings().stdinOnce(), c.settings().tty(), annotations, cgroupsPath);
        ContainerState state = handler.backend().restoreContainer(spec, bundle.resolve(CheckpointArchive.IMAGES));
        deleteQuietly(bundle.resolve(CheckpointArchive.IMAGES));
        log.info("Restored container {} ({}) from its checkpoint", c.id(), c.settings().name());
        return state;
    }

    private Path newWorkDir(String prefix) {
        try {
            Files.createDirectories(workRoot);
            return Files.createTempDirectory(workRoot, prefix + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a work directory under " + workRoot + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            FileTrees.delete(dir);
        } catch (IOException e) {
            log.warn("Cannot delete {}: {}", dir, e.getMessage());
        }
    }
}
