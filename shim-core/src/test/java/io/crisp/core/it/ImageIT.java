package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.core.image.testing.TestImages;
import io.crisp.core.image.testing.TestRegistry;
import io.crisp.cri.v1.AuthConfig;
import io.crisp.cri.v1.Image;
import io.crisp.cri.v1.ImageFsInfoRequest;
import io.crisp.cri.v1.ImageFsInfoResponse;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.ImageStatusRequest;
import io.crisp.cri.v1.ImageStatusResponse;
import io.crisp.cri.v1.ListImagesRequest;
import io.crisp.cri.v1.PullImageRequest;
import io.crisp.cri.v1.RemoveImageRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CRI ImageService of a real daemon against Debian's docker-registry on loopback. */
final class ImageIT {
    @TempDir
    Path dir;

    private static PullImageRequest pull(String image) {
        return PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build();
    }

    private static ImageSpec spec(String image) {
        return ImageSpec.newBuilder().setImage(image).build();
    }

    private static DaemonProcess daemonFor(Path dir, TestRegistry registry, String extraConf) {
        DaemonProcess daemon = new DaemonProcess(dir.resolve("daemon"));
        try {
            Files.writeString(dir.resolve("registries.conf"), """
                    [[registry]]
                    location = "%s"
                    insecure = true
                    %s
                    """.formatted(registry.host(), extraConf));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        daemon.writeConfig("[image]\nregistries_conf = \"" + dir.resolve("registries.conf") + "\"\n"
                + "image_pull_progress_timeout = \"3s\"\n[runtimes.runc]\nplugin = \"runc\"\n");
        return daemon;
    }

    @Test
    void pullByTagAndByDigestGivesTheConfigDigestAsImageRef() throws Exception {
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"));
             DaemonProcess daemon = daemonFor(dir, registry, "").start()) {
            TestImages.BuiltImage oci = TestImages.pushOci(registry, "crisp/busybox", "1.36");
            String byTag = registry.host() + "/crisp/busybox:1.36";
            String ref = daemon.client().images().pullImage(pull(byTag)).getImageRef();
            assertEquals(oci.config().digest(), ref, "image_ref must be the image id (config digest)");

            Image image = daemon.client().images().imageStatus(ImageStatusRequest.newBuilder().setImage(spec(byTag)).build()).getImage();
            assertEquals(ref, image.getId());
            assertEquals(List.of(byTag), image.getRepoTagsList());
            assertEquals(List.of(registry.host() + "/crisp/busybox@" + oci.manifestDigest()), image.getRepoDigestsList());
            assertTrue(image.getSize() > 500_000, "size counts the compressed layers: " + image.getSize());
            assertEquals(0, image.getUid().getValue());

            String byDigest = registry.host() + "/crisp/busybox@" + oci.manifestDigest();
            assertEquals(ref, daemon.client().images().pullImage(pull(byDigest)).getImageRef());
            assertEquals(ref, daemon.client().images().imageStatus(ImageStatusRequest.newBuilder().setImage(spec(byDigest)).build()).getImage().getId());
            assertEquals(ref, daemon.client().images().imageStatus(ImageStatusRequest.newBuilder().setImage(spec(ref)).build()).getImage().getId());

            // Layers are unpacked for overlayfs: busybox and its applet links are there.
            Path layers = daemon.root.resolve("images/layers");
            Path base = layers.resolve(oci.diffIds().get(0).substring(7));
            assertTrue(Files.isRegularFile(base.resolve("bin/busybox")));
            assertEquals(Path.of("busybox"), Files.readSymbolicLink(base.resolve("bin/sh")));
        }
    }

    @Test
    void dockerSchema2AndMultiPlatformIndexesPickTheNodesPlatform() {
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"));
             DaemonProcess daemon = daemonFor(dir, registry, "").start()) {
            TestImages.BuiltImage docker = TestImages.pushDockerSchema2(registry, "crisp/docker", "v2");
            assertEquals(docker.config().digest(),
                    daemon.client().images().pullImage(pull(registry.host() + "/crisp/docker:v2")).getImageRef());
            TestImages.BuiltIndex index = TestImages.pushIndex(registry, "crisp/multi", "1", false);
            assertEquals(index.amd64().config().digest(),
                    daemon.client().images().pullImage(pull(registry.host() + "/crisp/multi:1")).getImageRef());
            TestImages.BuiltIndex list = TestImages.pushIndex(registry, "crisp/multi-docker", "1", true);
            assertEquals(list.amd64().config().digest(),
                    daemon.client().images().pullImage(pull(registry.host() + "/crisp/multi-docker:1")).getImageRef());
        }
    }

    @Test
    void mirrorFromRegistriesConfServesDockerHubNames() {
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"))) {
            TestImages.BuiltImage image = TestImages.pushOci(registry, "mirror/library/busybox", "1.36");
            String mirror = """
                    [[registry]]
                    prefix = "docker.io"
                    location = "docker.io"
                    [[registry.mirror]]
                    location = "%s/mirror"
                    insecure = true
                    """.formatted(registry.host());
            try (DaemonProcess daemon = daemonFor(dir, registry, mirror).start()) {
                assertEquals(image.config().digest(), daemon.client().images().pullImage(pull("busybox:1.36")).getImageRef());
                Image stored = daemon.client().images().imageStatus(ImageStatusRequest.newBuilder().setImage(spec("docker.io/library/busybox:1.36")).build())
                        .getImage();
                assertEquals(List.of("docker.io/library/busybox:1.36"), stored.getRepoTagsList());
            }
        }
    }

    @Test
    void aRegistriesConfDropInReplacesTheMainFilesTableForTheSamePrefix() throws Exception {
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"))) {
            TestImages.BuiltImage image = TestImages.pushOci(registry, "dropin/library/busybox", "1.36");
            // The main file sends docker.io names to a mirror nobody serves; only the drop-in's table works.
            String unreachable = """
                    [[registry]]
                    prefix = "docker.io"
                    location = "docker.io"
                    [[registry.mirror]]
                    location = "127.0.0.1:9/nothing"
                    insecure = true
                    """;
            DaemonProcess configured = daemonFor(dir, registry, unreachable);
            Files.createDirectories(dir.resolve("registries.conf.d"));
            Files.writeString(dir.resolve("registries.conf.d/50-mirror.conf"), """
                    [[registry]]
                    prefix = "docker.io"
                    location = "docker.io"
                    [[registry.mirror]]
                    location = "%s/dropin"
                    insecure = true
                    """.formatted(registry.host()));
            Files.writeString(dir.resolve("registries.conf.d/60-ignored.conf.disabled"), "not toml [[[");
            try (DaemonProcess daemon = configured.start()) {
                assertEquals(image.config().digest(), daemon.client().images().pullImage(pull("busybox:1.36")).getImageRef());
            }
        }
    }

    @Test
    void basicAuthAcceptsRightCredentialsAndRefusesWrongOnesClearly() {
        try (TestRegistry registry = TestRegistry.startWithBasicAuth(dir.resolve("registry"), "alice", "s3cret-pw");
             DaemonProcess daemon = daemonFor(dir, registry, "").start()) {
            TestImages.BuiltImage image = TestImages.pushOci(registry, "private/busybox", "1");
            String name = registry.host() + "/private/busybox:1";
            StatusRuntimeException anonymous = assertThrows(StatusRuntimeException.class, () -> daemon.client().images().pullImage(pull(name)));
            assertEquals(Status.Code.PERMISSION_DENIED, anonymous.getStatus().getCode(), anonymous.getStatus().toString());
            StatusRuntimeException wrong = assertThrows(StatusRuntimeException.class, () -> daemon.client().images().pullImage(
                    pull(name).toBuilder().setAuth(AuthConfig.newBuilder().setUsername("alice").setPassword("wrong-pw")).build()));
            assertEquals(Status.Code.PERMISSION_DENIED, wrong.getStatus().getCode());
            assertTrue(wrong.getStatus().getDescription().contains(registry.host()), wrong.getStatus().getDescription());
            assertFalse(wrong.getStatus().getDescription().contains("wrong-pw"), "never echo a secret");
            assertFalse(daemon.logs().contains("wrong-pw") || daemon.logs().contains("s3cret-pw"), "never log a secret");
            String ref = daemon.client().images().pullImage(
                    pull(name).toBuilder().setAuth(AuthConfig.newBuilder().setUsername("alice").setPassword("s3cret-pw")).build()).getImageRef();
            assertEquals(image.config().digest(), ref);
        }
    }

    @Test
    void removeImageByOneTagRemovesAllTagsAndIsIdempotent() {
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"));
             DaemonProcess daemon = daemonFor(dir, registry, "").start()) {
            TestImages.BuiltImage image = TestImages.pushOci(registry, "crisp/tags", "a");
            TestImages.push(registry, new TestImages.BuiltImage(image.repository(), "b", image.manifestDigest(), image.manifestMediaType(),
                    image.manifest(), image.config(), image.layers()));
            String a = registry.host() + "/crisp/tags:a";
            String b = registry.host() + "/crisp/tags:b";
            daemon.client().images().pullImage(pull(a));
            daemon.client().images().pullImage(pull(b));
            Image both = daemon.client().images().imageStatus(ImageStatusRequest.newBuilder().setImage(spec(a)).build()).getImage();
            assertEquals(List.of(a, b), both.getRepoTagsList());
            // Listed before the removal: the list below must not be this answer kept.
            assertEquals(List.of(both), daemon.client().images().listImages(ListImagesRequest.getDefaultInstance()).getImagesList());

            daemon.client().images().removeImage(RemoveImageRequest.newBuilder().setImage(spec(b)).build());
            ImageStatusResponse gone = daemon.client().images().imageStatus(ImageStatusRequest.newBuilder().setImage(spec(a)).build());
            assertFalse(gone.hasImage(), "an absent image is an empty ImageStatus, not an error");
            assertEquals(0, daemon.client().images().listImages(ListImagesRequest.getDefaultInstance()).getImagesCount());
            // Idempotent: removing what is gone succeeds.
            daemon.client().images().removeImage(RemoveImageRequest.newBuilder().setImage(spec(a)).build());
            // Garbage: no blob or layer of the image stays.
            assertEquals(0, count(daemon.root.resolve("images/blobs/sha256")));
            assertEquals(0, count(daemon.root.resolve("images/layers")));
        }
    }

    @Test
    void imagesSurviveADaemonRestart() {
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"))) {
            TestImages.BuiltImage image = TestImages.pushOci(registry, "crisp/keep", "1");
            String name = registry.host() + "/crisp/keep:1";
            try (DaemonProcess daemon = daemonFor(dir, registry, "").start()) {
                daemon.client().images().pullImage(pull(name));
                daemon.signal("KILL");
                daemon.waitForExit(Duration.ofSeconds(10));
            }
            try (DaemonProcess again = daemonFor(dir, registry, "").start()) {
                Image kept = again.client().images().imageStatus(ImageStatusRequest.newBuilder().setImage(spec(name)).build()).getImage();
                assertEquals(image.config().digest(), kept.getId());
                assertEquals(List.of(name), kept.getRepoTagsList());
                ImageFsInfoResponse fs = again.client().images().imageFsInfo(ImageFsInfoRequest.getDefaultInstance());
                assertEquals(again.root.resolve("images").toString(), fs.getImageFilesystems(0).getFsId().getMountpoint());
                assertTrue(fs.getImageFilesystems(0).getUsedBytes().getValue() > 500_000);
                assertTrue(fs.getImageFilesystems(0).getInodesUsed().getValue() > 5);
            }
        }
    }

    @Test
    void imageFsInfoCountsAHardLinkedFileOnce() {
        // A layer with one 1 MiB file under 21 names (as busybox images hard-link their applets): the
        // store holds about 2 MiB (the compressed blob and the unpacked file), which du reports too.
        byte[] big = new byte[1 << 20];
        new java.util.Random(7).nextBytes(big); // incompressible, so the blob is as large as the file
        List<TestImages.TarEntry> entries = new java.util.ArrayList<>(List.of(TestImages.TarEntry.dir("bin", 0755),
                TestImages.TarEntry.file("bin/big", 0755, big)));
        for (int i = 0; i < 20; i++) {
            entries.add(TestImages.TarEntry.hardlink("bin/link" + i, "bin/big", 0755));
        }
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"));
             DaemonProcess daemon = daemonFor(dir, registry, "").start()) {
            TestImages.push(registry, TestImages.image(TestImages.Format.OCI, "amd64", "crisp/links", "1",
                    List.of(TestImages.layerTar(entries))));
            daemon.client().images().pullImage(pull(registry.host() + "/crisp/links:1"));
            ImageFsInfoResponse fs = daemon.client().images().imageFsInfo(ImageFsInfoRequest.getDefaultInstance());
            long used = fs.getImageFilesystems(0).getUsedBytes().getValue();
            assertTrue(used > 2L << 20 && used < 3L << 20, "used bytes " + used + ", not 21 copies of the file");
            long inodes = fs.getImageFilesystems(0).getInodesUsed().getValue();
            assertTrue(inodes < 40, "inodes " + inodes + ": the file's 21 names are one inode");
        }
    }

    @Test
    void pullErrorsSayWhatToDo() {
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"));
             DaemonProcess daemon = new DaemonProcess(dir.resolve("daemon"))) {
            // No registries.conf: the local plain-HTTP registry is not marked insecure.
            daemon.writeConfig("[image]\nregistries_conf = \"" + dir.resolve("none.conf") + "\"\n").start();
            TestImages.pushOci(registry, "crisp/plain", "1");
            StatusRuntimeException plain = assertThrows(StatusRuntimeException.class,
                    () -> daemon.client().images().pullImage(pull(registry.host() + "/crisp/plain:1")));
            assertTrue(plain.getStatus().getDescription().contains(registry.host() + " answered plain HTTP to an HTTPS request: "
                    + "mark it insecure = true in registries.conf"), plain.getStatus().getDescription());
            StatusRuntimeException dns = assertThrows(StatusRuntimeException.class,
                    () -> daemon.client().images().pullImage(pull("nonexistent.invalid/crisp/x:1")));
            assertTrue(dns.getStatus().getDescription().contains("cannot resolve host nonexistent.invalid"),
                    dns.getStatus().getDescription());
        }
    }

    @Test
    void verboseStatusCarriesTheImageConfig() throws Exception {
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"));
             DaemonProcess daemon = daemonFor(dir, registry, "").start()) {
            TestImages.pushOci(registry, "crisp/cfg", "1");
            String name = registry.host() + "/crisp/cfg:1";
            daemon.client().images().pullImage(pull(name));
            ImageStatusResponse status = daemon.client().images().imageStatus(
                    ImageStatusRequest.newBuilder().setImage(spec(name)).setVerbose(true).build());
            JsonNode info = new ObjectMapper().readTree(status.getInfoOrThrow("info"));
            assertEquals("sh", info.path("config").path("cmd").get(0).asText());
            assertEquals("SIGTERM", info.path("config").path("stopSignal").asText());
            assertEquals("busybox", info.path("config").path("labels").path("io.crisp.test").asText());
        }
    }

    @Test
    void deadlineExceededPullFailsAndLeavesNothingBehind() {
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"));
             DaemonProcess daemon = daemonFor(dir, registry, "").start()) {
            TestImages.pushOci(registry, "crisp/big", "1", 3, 20 << 20);
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> daemon.client().images()
                    .withDeadlineAfter(50, TimeUnit.MILLISECONDS).pullImage(pull(registry.host() + "/crisp/big:1")));
            assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
            // The daemon cancels the pull and removes what it had fetched.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (System.nanoTime() < deadline && (count(daemon.root.resolve("images/blobs/sha256")) > 0
                    || count(daemon.root.resolve("images/ingest")) > 0 || count(daemon.root.resolve("images/layers")) > 0)) {
                DaemonProcess.sleep(50);
            }
            assertEquals(0, count(daemon.root.resolve("images/blobs/sha256")), daemon.logs());
            assertEquals(0, count(daemon.root.resolve("images/ingest")));
            assertEquals(0, count(daemon.root.resolve("images/layers")));
            assertEquals(0, daemon.client().images().listImages(ListImagesRequest.getDefaultInstance()).getImagesCount());
        }
    }

    @Test
    void unknownImageIsNotFoundAndBadNamesAreInvalid() {
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"));
             DaemonProcess daemon = daemonFor(dir, registry, "").start()) {
            StatusRuntimeException missing = assertThrows(StatusRuntimeException.class,
                    () -> daemon.client().images().pullImage(pull(registry.host() + "/crisp/nothing:1")));
            assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode(), missing.getStatus().toString());
            StatusRuntimeException bad = assertThrows(StatusRuntimeException.class,
                    () -> daemon.client().images().pullImage(pull("Not A Valid/Name")));
            assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
            StatusRuntimeException empty = assertThrows(StatusRuntimeException.class,
                    () -> daemon.client().images().pullImage(PullImageRequest.getDefaultInstance()));
            assertEquals(Status.Code.INVALID_ARGUMENT, empty.getStatus().getCode());
            assertEquals("image.image: an image name or id is required", empty.getStatus().getDescription());
        }
    }

    @Test
    void crispImagesCommandPullsListsAndRemoves() {
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"));
             DaemonProcess daemon = daemonFor(dir, registry, "").start()) {
            TestImages.BuiltImage image = TestImages.pushOci(registry, "crisp/cli", "7");
            String name = registry.host() + "/crisp/cli:7";
            Crisp.Run pulled = Crisp.run(args(daemon, "images", "pull", name));
            assertEquals(0, pulled.exitCode(), pulled.all());
            assertTrue(pulled.stdout().startsWith(name + " " + image.config().digest()), pulled.stdout());
            Crisp.Run listed = Crisp.run(args(daemon, "images", "ls"));
            assertTrue(listed.stdout().contains(name), listed.stdout());
            assertTrue(listed.stdout().contains(image.config().digest().substring(7, 20)), listed.stdout());
            Crisp.Run removed = Crisp.run(args(daemon, "images", "rm", name));
            assertEquals(0, removed.exitCode(), removed.all());
            assertFalse(Crisp.run(args(daemon, "images", "ls")).stdout().contains(name));
            Crisp.Run missing = Crisp.run(args(daemon, "images", "pull", registry.host() + "/crisp/none:1"));
            assertEquals(1, missing.exitCode());
            assertTrue(missing.stderr().contains("NOT_FOUND"), missing.stderr());
        }
    }

    @Test
    void importLoadsOciLayoutsOciArchivesAndDockerSaveArchivesWithoutARegistry() throws Exception {
        TestImages.BuiltImage image = TestImages.busybox("crisp/offline", "1", 0, 0);
        // An OCI image layout directory, named as containerd's export names it.
        Path layout = dir.resolve("layout");
        Files.createDirectories(layout.resolve("blobs/sha256"));
        Files.write(layout.resolve("blobs/sha256/" + image.manifestDigest().substring(7)), image.manifest());
        Files.write(layout.resolve("blobs/sha256/" + image.config().digest().substring(7)), image.config().bytes());
        for (TestImages.Blob layer : image.layers()) {
            Files.write(layout.resolve("blobs/sha256/" + layer.digest().substring(7)), layer.bytes());
        }
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.writeString(layout.resolve("index.json"), """
                {"schemaVersion":2,"manifests":[{"mediaType":"%s","digest":"%s","size":%d,
                 "annotations":{"io.containerd.image.name":"registry.example/crisp/offline:1","org.opencontainers.image.ref.name":"1"}}]}
                """.formatted(image.manifestMediaType(), image.manifestDigest(), image.manifest().length));
        // The same layout as an OCI archive.
        Path ociArchive = dir.resolve("offline-oci.tar");
        run("tar", "-C", layout.toString(), "-cf", ociArchive.toString(), ".");
        // And a docker save archive: manifest.json, the config, uncompressed layer tars.
        Path docker = dir.resolve("docker");
        Files.createDirectories(docker);
        Files.write(docker.resolve("config.json"), image.config().bytes());
        List<String> layerFiles = new java.util.ArrayList<>();
        for (int i = 0; i < image.layers().size(); i++) {
            try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(image.layers().get(i).bytes()))) {
                Files.createDirectories(docker.resolve("l" + i));
                Files.write(docker.resolve("l" + i + "/layer.tar"), in.readAllBytes());
            }
            layerFiles.add("\"l" + i + "/layer.tar\"");
        }
        Files.writeString(docker.resolve("manifest.json"), "[{\"Config\":\"config.json\",\"RepoTags\":[\"crisp/saved:2\"],\"Layers\":["
                + String.join(",", layerFiles) + "]}]");
        Path dockerArchive = dir.resolve("saved.tar");
        run("tar", "-C", docker.toString(), "-cf", dockerArchive.toString(), ".");

        try (DaemonProcess daemon = new DaemonProcess(dir.resolve("daemon")).start()) {
            Crisp.Run fromLayout = Crisp.run(args(daemon, "images", "import", layout.toString()));
            assertEquals(0, fromLayout.exitCode(), fromLayout.all());
            assertTrue(fromLayout.stdout().contains("registry.example/crisp/offline:1 " + image.config().digest()), fromLayout.stdout());
            Crisp.Run fromDocker = Crisp.run(args(daemon, "images", "import", dockerArchive.toString()));
            assertEquals(0, fromDocker.exitCode(), fromDocker.all());
            assertTrue(fromDocker.stdout().contains("docker.io/crisp/saved:2 " + image.config().digest()), fromDocker.stdout());
            Image stored = daemon.client().images().imageStatus(ImageStatusRequest.newBuilder().setImage(spec("registry.example/crisp/offline:1"))
                    .build()).getImage();
            assertEquals(image.config().digest(), stored.getId());
            assertEquals(List.of("registry.example/crisp/offline:1", "docker.io/crisp/saved:2"), stored.getRepoTagsList());
            assertEquals(List.of("registry.example/crisp/offline@" + image.manifestDigest()), stored.getRepoDigestsList());
            daemon.client().images().removeImage(RemoveImageRequest.newBuilder().setImage(spec(image.config().digest())).build());
            Crisp.Run fromArchive = Crisp.run(args(daemon, "images", "import", ociArchive.toString()));
            assertEquals(0, fromArchive.exitCode(), fromArchive.all());
            Path base = daemon.root.resolve("images/layers").resolve(image.diffIds().get(0).substring(7));
            assertTrue(Files.isRegularFile(base.resolve("bin/busybox")), "layers unpacked from the archive");
            assertEquals(0, count(daemon.root.resolve("images/import")), "the extracted archive is gone");

            // A forged blob is caught by its digest (once the store no longer has the real one).
            daemon.client().images().removeImage(RemoveImageRequest.newBuilder().setImage(spec(image.config().digest())).build());
            Files.write(layout.resolve("blobs/sha256/" + image.layers().get(1).digest().substring(7)), "forged".getBytes());
            Crisp.Run forged = Crisp.run(args(daemon, "images", "import", layout.toString()));
            assertEquals(1, forged.exitCode(), forged.all());
            assertTrue(forged.stderr().contains("digest"), forged.stderr());
            assertEquals(0, daemon.client().images().listImages(ListImagesRequest.getDefaultInstance()).getImagesCount());
            assertEquals(0, count(daemon.root.resolve("images/blobs/sha256")), "a failed import keeps nothing");
        }
    }

    @Test
    void quickStartBusyboxImageImports() throws Exception {
        Path script = Crisp.LAUNCHER.getParent().getParent().resolve("busybox-image.sh");
        Path layout = dir.resolve("bb");
        run(script.toString(), layout.toString(), "localhost/crisp/busybox:qs");
        try (DaemonProcess daemon = new DaemonProcess(dir.resolve("daemon")).start()) {
            Crisp.Run imported = Crisp.run(args(daemon, "images", "import", layout.toString()));
            assertEquals(0, imported.exitCode(), imported.all());
            Image image = daemon.client().images().imageStatus(ImageStatusRequest.newBuilder().setImage(spec("localhost/crisp/busybox:qs"))
                    .build()).getImage();
            assertEquals(List.of("localhost/crisp/busybox:qs"), image.getRepoTagsList());
            assertEquals(0, image.getUid().getValue());
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).inheritIO().start();
        assertEquals(0, p.waitFor(), String.join(" ", command));
    }

    private static List<String> args(DaemonProcess daemon, String... first) {
        List<String> args = new java.util.ArrayList<>(List.of(first));
        args.addAll(daemon.flags());
        return args;
    }

    @Test
    void pauseImageAndPinnedImagesGlobAreReportedPinnedAndOthersAreNot() {
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"))) {
            TestImages.BuiltImage pause = TestImages.pushOci(registry, "crisp/pause", "3.10");
            TestImages.BuiltImage agent = TestImages.pushOci(registry, "crisp/agent", "v1", 1, 64);
            TestImages.BuiltImage other = TestImages.pushOci(registry, "crisp/other", "1", 2, 64);
            String host = registry.host();
            DaemonProcess configured = daemonFor(dir, registry, "").writeDropIn("50-pins.toml", "[image]\npause_image = \"" + host
                    + "/crisp/pause:3.10\"\npinned_images = [\"" + host + "/crisp/agent*\"]\n");
            try (DaemonProcess daemon = configured.start()) {
                for (String name : List.of("/crisp/pause:3.10", "/crisp/agent:v1", "/crisp/other:1")) {
                    daemon.client().images().pullImage(pull(host + name));
                }
                java.util.Map<String, Boolean> listed = new java.util.HashMap<>();
                daemon.client().images().listImages(ListImagesRequest.getDefaultInstance()).getImagesList()
                        .forEach(i -> listed.put(i.getId(), i.getPinned()));
                assertEquals(java.util.Map.of(pause.config().digest(), true, agent.config().digest(), true, other.config().digest(), false),
                        listed);
                // ImageStatus says the same, whichever name asks: a tag, the repo digest, the id.
                assertTrue(daemon.client().images().imageStatus(ImageStatusRequest.newBuilder().setImage(spec(host + "/crisp/pause:3.10")).build())
                        .getImage().getPinned());
                assertTrue(daemon.client().images().imageStatus(ImageStatusRequest.newBuilder()
                        .setImage(spec(host + "/crisp/agent@" + agent.manifestDigest())).build()).getImage().getPinned());
                assertFalse(daemon.client().images().imageStatus(ImageStatusRequest.newBuilder().setImage(spec(other.config().digest())).build())
                        .getImage().getPinned());
                // Pinning only reports: an explicit RemoveImage still removes a pinned image, as containerd does.
                daemon.client().images().removeImage(RemoveImageRequest.newBuilder().setImage(spec(host + "/crisp/agent:v1")).build());
                assertFalse(daemon.client().images().imageStatus(ImageStatusRequest.newBuilder().setImage(spec(host + "/crisp/agent:v1")).build())
                        .hasImage());
                assertEquals(java.util.Set.of(pause.config().digest(), other.config().digest()), daemon.client().images()
                        .listImages(ListImagesRequest.getDefaultInstance()).getImagesList().stream().map(Image::getId)
                        .collect(java.util.stream.Collectors.toSet()), "the list after a removal");
            }
        }
    }

    static long count(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
