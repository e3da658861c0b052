package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.image.testing.TestImages;
import io.crisp.core.image.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Long pulls and imports are not silent: while the unary call runs, {@code crisp images} polls the
 * daemon's ListTransfers and prints lines (not on a terminal) with the bytes and layers the daemon
 * has really received or read so far. An image with 3 more layers of 40 MiB random bytes takes long enough for
 * several lines at the test's interval; a line caught mid-way shows less than the total.
 */
final class ImageProgressIT {
    /** {@code pull NAME: [===>   ] 12.0 MiB / 120.1 MiB, 1/5 layers, 30.2 MiB/s}; the layers once known. */
    private static final Pattern LINE = Pattern.compile(
            "(?m)^(pull|import) (\\S+): \\[[=> ]{20,21}\\] ([0-9.]+ [KMG]?i?B) / ([0-9.]+ [KMG]?i?B)(?:, (\\d+)/(\\d+) layers)?, [0-9.]+ [KMG]?i?B/s$");

    @TempDir
    Path dir;

    @Test
    void pullAndImportPrintProgressLinesWhileTheDaemonWorks() throws Exception {
        Crisp.requireExecutable(TestRegistry.BINARY, "to serve images over HTTP (docker-registry)");
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"))) {
            TestImages.BuiltImage image = TestImages.pushOci(registry, "crisp/big", "1", 3, 40 << 20);
            Files.writeString(dir.resolve("registries.conf"), "[[registry]]\nlocation = \"%s\"\ninsecure = true\n".formatted(registry.host()));
            try (DaemonProcess daemon = new DaemonProcess(dir.resolve("daemon"))) {
                daemon.writeConfig("[image]\nregistries_conf = \"" + dir.resolve("registries.conf") + "\"\n[runtimes.runc]\nplugin = \"runc\"\n")
                        .start();
                String name = registry.host() + "/crisp/big:1";
                Crisp.Run pull = Crisp.run(command(daemon, "images", "pull", "--progress", "lines", "--progress-interval", "100ms", name));
                assertEquals(0, pull.exitCode(), pull.all());
                assertTrue(pull.stdout().startsWith(name + " " + image.config().digest()), pull.stdout());
                assertMidwayLine(pull.stderr(), "pull", name, image.layers().size());

                // The same image as an OCI archive: the import reads it, then stores its layers.
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
                         "annotations":{"org.opencontainers.image.ref.name":"registry.example/crisp/imported:1"}}]}
                        """.formatted(image.manifestMediaType(), image.manifestDigest(), image.manifest().length));
                Path archive = dir.resolve("big.tar");
                Process tar = new ProcessBuilder("tar", "-C", layout.toString(), "-cf", archive.toString(), ".").inheritIO().start();
                assertEquals(0, tar.waitFor());
                daemon.client().images().removeImage(io.crisp.cri.v1.RemoveImageRequest.newBuilder()
                        .setImage(io.crisp.cri.v1.ImageSpec.newBuilder().setImage(image.config().digest())).build());
                Crisp.Run imported = Crisp.run(command(daemon, "images", "import", "--progress", "lines", "--progress-interval", "100ms",
                        archive.toString()));
                assertEquals(0, imported.exitCode(), imported.all());
                assertMidwayLine(imported.stderr(), "import", archive.toString(), image.layers().size());
                // --progress none: only the result.
                Crisp.Run quiet = Crisp.run(command(daemon, "images", "pull", "--progress", "none", name));
                assertEquals("", quiet.stderr());
            }
        }
    }

    /** At least one line of {@code kind NAME} reports less than the total: printed while the work ran. */
    private static void assertMidwayLine(String stderr, String kind, String name, int layers) {
        Matcher m = LINE.matcher(stderr);
        boolean midway = false;
        int lines = 0;
        while (m.find()) {
            assertEquals(kind, m.group(1), stderr);
            assertEquals(name, m.group(2), stderr);
            if (m.group(6) != null) { // known once the manifest, or the archive's index, is read
                assertEquals(String.valueOf(layers), m.group(6), "busybox's layers and the three fillers: " + stderr);
            }
            lines++;
            midway |= !m.group(3).equals(m.group(4));
        }
        assertTrue(lines > 0 && midway, kind + " printed progress while it ran: " + stderr);
    }

    private static List<String> command(DaemonProcess daemon, String... args) {
        List<String> command = new ArrayList<>(List.of(args));
        command.addAll(List.of("-l", "unix://" + daemon.socket));
        return command;
    }
}
