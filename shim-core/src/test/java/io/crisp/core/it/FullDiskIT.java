package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.admin.v1.ImportImagesRequest;
import io.crisp.core.image.testing.TestImages;
import io.crisp.core.image.testing.TestRegistry;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ContainerState;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.ListContainersRequest;
import io.crisp.cri.v1.ListImagesRequest;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PullImageRequest;
import io.crisp.cri.v1.StopContainerRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real daemon (runc handler, a real registry) whose root and state directories live on a small
 * tmpfs of their own, filled up with fallocate: pull, unpack, import, RunPodSandbox and
 * CreateContainer answer RESOURCE_EXHAUSTED naming a path on that file system, leave nothing half
 * made in the store or the lists, and succeed as soon as the filler file is deleted, without a restart.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
final class FullDiskIT {
    private Path dir;
    private Path disk;
    private Path filler;
    private boolean mounted;
    private TestNetwork network;
    private TestRegistry registry;
    private DaemonProcess daemon;
    private CriClient client;

    @BeforeAll
    void start(@TempDir Path tmp) {
        Pods.requirePrerequisites();
        Crisp.requireExecutable(Path.of("/usr/bin/fallocate"), "to fill the test file system (util-linux)");
        dir = tmp;
        disk = dir.resolve("disk");
        filler = disk.resolve("filler");
        try {
            Files.createDirectories(disk);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        run("mount", "-t", "tmpfs", "-o", "size=64m,mode=0755", "crisp-fulldisk", disk.toString());
        mounted = true;
        network = TestNetwork.create(dir);
        registry = TestRegistry.start(dir.resolve("registry"));
        daemon = Pods.configure(new DaemonProcess(dir.resolve("daemon")));
        try {
            Files.writeString(dir.resolve("registries.conf"), "[[registry]]\nlocation = \"%s\"\ninsecure = true\n".formatted(registry.host()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        daemon.writeDropIn("50-registry.toml", "[image]\nregistries_conf = \"" + dir.resolve("registries.conf") + "\"\n");
        network.writeTo(Pods.cniConfDir(daemon));
        // the launcher records its class-data archive once per build: Crisp.recordArchiveOnce, before start
        daemon.start("--root", disk.resolve("root").toString(), "--state", disk.resolve("state").toString());
        client = daemon.client();
        Pods.importImages(daemon, dir.resolve("images"));
    }

    @AfterEach
    void freeSpace() {
        try {
            Files.deleteIfExists(filler);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    void stop() {
        try {
            if (filler != null) {
                Files.deleteIfExists(filler);
            }
            if (client != null) {
                Pods.removeAll(client);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (daemon != null) {
                daemon.close();
            }
            if (registry != null) {
                registry.close();
            }
            if (network != null) {
                network.close();
            }
            if (mounted) {
                run("umount", disk.toString());
            }
        }
    }

    @Test
    void pullAndUnpackOnAFullDiskLeaveNoImageAndSucceedOnceSpaceIsFreed() {
        TestImages.BuiltImage image = TestImages.pushOci(registry, "crisp/full", "1", 2, 1 << 20);
        String name = registry.host() + "/crisp/full:1";
        Set<String> before = storeFiles();

        fill(0); // no room for the first blob
        assertExhausted(() -> pull(name), "PullImage of " + name + " with no space left");
        assertNoImage(name);
        assertEquals(before, storeFiles(), "a pull that found no space stores nothing");

        freeSpace();
        long compressed = image.layers().stream().mapToLong(TestImages.Blob::size).sum() + image.config().size() + image.manifest().length;
        fill(compressed + (256 << 10)); // room for the blobs, not for the 2 MiB of unpacked filler layers
        assertExhausted(() -> pull(name), "PullImage of " + name + " with no space to unpack");
        assertNoImage(name);
        for (String file : storeFiles()) {
            assertFalse(file.startsWith("ingest/") || file.contains(".tmp"), "a half-written file is left: " + file + " in " + storeFiles());
        }

        freeSpace();
        assertEquals(image.config().digest(), pull(name), "the same pull succeeds once space is freed");
        assertTrue(client.images().listImages(ListImagesRequest.getDefaultInstance()).getImagesList().stream()
                .anyMatch(i -> i.getRepoTagsList().contains(name)));
        Path layers = disk.resolve("root/images/layers");
        assertTrue(Files.isRegularFile(layers.resolve(image.diffIds().get(0).substring(7)).resolve("bin/busybox")), "the layers are whole");
    }

    @Test
    void importOnAFullDiskLeavesNoImageAndSucceedsOnceSpaceIsFreed() throws Exception {
        TestImages.BuiltImage image = TestImages.busybox("crisp/full-import", "1", 1, 1 << 20);
        String name = "registry.example/crisp/full-import:1";
        Path archive = ociArchive(image, name);
        Set<String> before = storeFiles();

        fill(0);
        assertExhausted(() -> client.admin().importImages(ImportImagesRequest.newBuilder().setPath(archive.toString()).build()),
                "ImportImages of " + archive + " with no space left");
        assertNoImage(name);
        assertEquals(before, storeFiles(), "an import that found no space stores nothing (its extracted archive is gone too)");

        freeSpace();
        client.admin().importImages(ImportImagesRequest.newBuilder().setPath(archive.toString()).build());
        assertTrue(client.images().listImages(ListImagesRequest.getDefaultInstance()).getImagesList().stream()
                .anyMatch(i -> i.getRepoTagsList().contains(name)), "imported once space is freed");
    }

    @Test
    void runPodAndCreateContainerOnAFullDiskLeaveNothingListedAndSucceedOnceSpaceIsFreed() {
        PodSandboxConfig pod = Pods.pod("full", dir.resolve("logs/full")).build();

        fill(0);
        assertExhausted(() -> Pods.run(client, pod), "RunPodSandbox with no space left");
        assertEquals(0, client.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount(), "no pod is listed");

        freeSpace();
        String podId = Pods.run(client, pod);

        fill(0);
        var container = Pods.container("sleeper", "sleep", "3600").build();
        assertExhausted(() -> Pods.create(client, podId, pod, container), "CreateContainer with no space left");
        assertEquals(0, client.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount(),
                "no container is listed");

        freeSpace();
        String id = Pods.createAndStart(client, podId, pod, container);
        Pods.awaitState(client, id, ContainerState.CONTAINER_RUNNING, 20);

        fill(0); // a state write (the exit) on a full disk: the stop answers, and the exit is recorded once there is room
        try {
            client.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(0).build());
        } catch (StatusRuntimeException e) {
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
        }
        freeSpace();
        client.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(0).build());
        assertEquals(ContainerState.CONTAINER_EXITED, Pods.status(client, id).getState());
        Pods.removeAll(client);
    }

    private String pull(String name) {
        return client.images().pullImage(PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(name)).build()).getImageRef();
    }

    /** Fails unless {@code call} answers RESOURCE_EXHAUSTED with a description naming a path on the full file system. */
    private void assertExhausted(Executable call, String what) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call, what + " must fail");
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), what + ": " + e.getStatus());
        String description = String.valueOf(e.getStatus().getDescription());
        assertTrue(description.contains(disk.toString()), what + ": the description names the path on the full disk: " + description);
    }

    private void assertNoImage(String name) {
        assertFalse(client.images().listImages(ListImagesRequest.getDefaultInstance()).getImagesList().stream()
                .anyMatch(i -> i.getRepoTagsList().contains(name)), name + " must not be listed");
        assertFalse(client.images().imageStatus(io.crisp.cri.v1.ImageStatusRequest.newBuilder()
                .setImage(ImageSpec.newBuilder().setImage(name)).build()).hasImage(), name + " must have no status");
    }

    /** Runs a host command; fails with its output unless it exits 0. */
    private static void run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
            assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Fills the test file system so that {@code leave} bytes stay free. */
    private void fill(long leave) {
        try {
            long free = Files.getFileStore(disk).getUsableSpace();
            assertTrue(free > leave, "the test file system has " + free + " bytes free, " + leave + " wanted");
            run("fallocate", "-l", Long.toString(free - leave), filler.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every file under the image store (blobs, layers' top level, records, ingest, import), relative to it. */
    private Set<String> storeFiles() {
        Path images = disk.resolve("root/images");
        Set<String> files = new TreeSet<>();
        try (Stream<Path> walk = Files.walk(images, 3)) {
            walk.filter(p -> !p.equals(images) && (Files.isRegularFile(p) || p.getParent().getFileName().toString().equals("layers")
                            || p.getParent().getFileName().toString().equals("import")))
                    .forEach(p -> files.add(images.relativize(p).toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    /** {@code image} as an OCI archive (a tar of its image layout) named {@code name}, off the full disk. */
    private Path ociArchive(TestImages.BuiltImage image, String name) throws IOException {
        Path layout = dir.resolve("layout");
        Files.createDirectories(layout.resolve("blobs/sha256"));
        Files.write(layout.resolve("blobs/sha256/" + image.manifestDigest().substring(7)), image.manifest());
        Files.write(layout.resolve("blobs/sha256/" + image.config().digest().substring(7)), image.config().bytes());
        for (TestImages.Blob layer : image.layers()) {
            Files.write(layout.resolve("blobs/sha256/" + layer.digest().substring(7)), layer.bytes());
        }
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.writeString(layout.resolve("index.json"), """
                {"schemaVersion":2,"manifests":[{"mediaType":"%s","digest":"%s","size":%d,"annotations":{"io.containerd.image.name":"%s"}}]}
                """.formatted(image.manifestMediaType(), image.manifestDigest(), image.manifest().length, name));
        Path archive = dir.resolve("full-import.tar");
        run("tar", "-C", layout.toString(), "-cf", archive.toString(), ".");
        return archive;
    }
}
