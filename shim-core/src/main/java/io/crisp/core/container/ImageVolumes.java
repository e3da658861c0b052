package io.crisp.core.container;

import io.crisp.core.oci.MountSettings;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The image's {@code Volumes} of a container, as containerd gives them: each path is a fresh host
 * directory, seeded with a copy of what the image has at that path (owner, mode, times and links kept),
 * bind-mounted read-write. A directory lives under {@code <root>/volumes/<pod id>/<container name>/}:
 * a new attempt of the same container in the same pod (a restart) finds the data the last one left,
 * and the directory goes when the last container of that name in the pod is removed. Volumes a CRI
 * mount already covers (the same path or a parent) are skipped.
 */
final class ImageVolumes {
    private static final Logger log = LoggerFactory.getLogger(ImageVolumes.class);

    private final Path root;

    ImageVolumes(Path root) {
        this.root = root;
    }

    Path podDir(String sandboxId) {
        return root.resolve(sandboxId);
    }

    Path containerDir(String sandboxId, String name) {
        return podDir(sandboxId).resolve(name);
    }

    /**
     * The bind mounts for the image's volumes not covered by {@code criMounts}, each directory created
     * and seeded from {@code rootfs} unless an earlier attempt left it.
     */
    List<MountSettings> prepare(String sandboxId, String name, List<String> volumes, List<MountSettings> criMounts, Path rootfs) {
        List<MountSettings> out = new ArrayList<>();
        for (String volume : volumes) {
            Path inContainer = Path.of("/").resolve(volume).normalize();
            if (inContainer.getNameCount() == 0 || covered(inContainer, criMounts)) {
                continue;
            }
            Path dir = containerDir(sandboxId, name).resolve(URLEncoder.encode(inContainer.toString(), StandardCharsets.UTF_8));
            try {
                if (!Files.isDirectory(dir)) {
                    seed(rootfs, inContainer, dir);
                }
            } catch (IOException e) {
                throw BackendException.failedPrecondition("image volume %s: cannot create %s: %s", inContainer, dir, e.getMessage());
            }
            out.add(new MountSettings(inContainer.toString(), dir.toString(), false, "private"));
        }
        return out;
    }

    /** Removes the volumes of container {@code name} of the pod (and the pod's directory once empty). */
    void remove(String sandboxId, String name) {
        delete(containerDir(sandboxId, name));
        try {
            Files.deleteIfExists(podDir(sandboxId));
        } catch (IOException e) {
            // Another container of the pod still has volumes.
        }
    }

    /** Removes the volumes of pods that are gone (a daemon stopped before it could). */
    void removeLeftovers(Set<String> knownSandboxes) {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (DirectoryStream<Path> pods = Files.newDirectoryStream(root)) {
            for (Path pod : pods) {
                if (!knownSandboxes.contains(pod.getFileName().toString())) {
                    log.info("Removing image volumes of gone pod {}", pod.getFileName());
                    delete(pod);
                }
            }
        } catch (IOException e) {
            log.warn("Cannot list image volumes in {}: {}", root, e.getMessage());
        }
    }

    private static boolean covered(Path volume, List<MountSettings> criMounts) {
        return criMounts.stream().map(m -> Path.of("/").resolve(m.containerPath()).normalize()).anyMatch(volume::startsWith);
    }

    /** Copies the image's content at {@code inContainer} (if any) to {@code dir}, through a temporary name. */
    private static void seed(Path rootfs, Path inContainer, Path dir) throws IOException {
        Files.createDirectories(dir.getParent());
        Path tmp = dir.resolveSibling(dir.getFileName() + ".new");
        delete(tmp);
        Path source = inImage(rootfs, inContainer);
        if (source != null && Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
            copyTree(source, tmp);
        } else {
            if (source != null && Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
                log.warn("Image volume {} is not a directory in the image; mounting an empty directory", inContainer);
            }
            Files.createDirectory(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        }
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The path inside the rootfs, or null when one of its parents is a symbolic link (which could lead out of it). */
    private static Path inImage(Path rootfs, Path inContainer) {
        Path p = rootfs;
        for (Path part : inContainer) {
            p = p.resolve(part.toString());
            if (Files.isSymbolicLink(p)) {
                log.warn("Image volume {} goes through the symbolic link {}; not seeding it", inContainer, p);
                return null;
            }
        }
        return p;
    }

    private static void copyTree(Path source, Path target) throws IOException {
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                Files.copy(d, target.resolve(source.relativize(d).toString()), StandardCopyOption.COPY_ATTRIBUTES,
                        LinkOption.NOFOLLOW_LINKS);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                Files.copy(f, target.resolve(source.relativize(f).toString()), StandardCopyOption.COPY_ATTRIBUTES,
                        LinkOption.NOFOLLOW_LINKS);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void delete(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove image volumes " + dir + ": " + e.getMessage(), e);
        }
    }
}
