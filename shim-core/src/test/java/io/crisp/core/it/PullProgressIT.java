package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.image.testing.TestImages;
import io.crisp.core.image.testing.TestRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pull through the daemon's socket from a real registry behind a {@link SlowRelay} (512 KiB/s per
 * connection, so the pull lasts seconds on any machine): {@code crisp images pull} off a terminal
 * prints total lines with growing byte counts and a line per finished layer, then the image id; on
 * a terminal (a pty from util-linux {@code script}) it redraws a block with each layer and the
 * total; the daemon logs the long pull at {@code image_pull_log_interval}; and
 * {@code crisp_image_pull_bytes_total{image}} says the image's compressed size.
 */
final class PullProgressIT {
    private static final Path SCRIPT = Path.of("/usr/bin/script");
    /** {@code pull NAME: [===>   ] 1.2 MiB / 3.9 MiB, 1/4 layers, 500.0 KiB/s}. */
    private static final Pattern TOTAL_LINE = Pattern.compile(
            "(?m)^pull (\\S+): \\[[=> ]{20,21}\\] ([0-9.]+ [KMG]?i?B) / ([0-9.]+ [KMG]?i?B)(?:, (\\d+)/(\\d+) layers)?, [0-9.]+ [KMG]?i?B/s$");

    @TempDir
    Path dir;

    @Test
    void aSlowPullShowsProgressInTheCliTheLogAndTheMetrics() throws Exception {
        Crisp.requireExecutable(TestRegistry.BINARY, "to serve images over HTTP (docker-registry)");
        Crisp.requireExecutable(SCRIPT, "to give the CLI a terminal (util-linux script)");
        int metricsPort = freePort();
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"));
             SlowRelay relay = SlowRelay.start(Integer.parseInt(registry.host().substring(registry.host().lastIndexOf(':') + 1)), 512 << 10)) {
            TestImages.BuiltImage image = TestImages.pushOci(registry, "crisp/slow", "1", 2, 1536 << 10);
            long compressed = image.config().size() + image.layers().stream().mapToLong(TestImages.Blob::size).sum();
            Files.writeString(dir.resolve("registries.conf"), "[[registry]]\nlocation = \"%s\"\ninsecure = true\n".formatted(relay.host()));
            try (DaemonProcess daemon = new DaemonProcess(dir.resolve("daemon"))) {
                daemon.writeConfig("[image]\nregistries_conf = \"" + dir.resolve("registries.conf") + "\"\nimage_pull_log_interval = \"1s\"\n"
                        + "[runtimes.runc]\nplugin = \"runc\"\n").start("--metrics-port", Integer.toString(metricsPort));
                String name = relay.host() + "/crisp/slow:1";

                // Off a terminal: lines.
                Crisp.Run pull = Crisp.run(List.of("images", "pull", "--progress-interval", "300ms", name, "-l", "unix://" + daemon.socket));
                assertEquals(0, pull.exitCode(), pull.all());
                System.out.println("crisp images pull, off a terminal:\n" + pull.all());
                assertTrue(pull.stdout().startsWith(name + " " + image.config().digest() + " "), pull.stdout());
                assertGrowingTotals(pull.stderr(), name, image.layers().size());
                // A layer is told of when a poll finds it through; the tiny tag layer is, seconds before the
                // fillers arrive. The last ones may finish with the pull itself, which then prints the id.
                assertTrue(image.layers().stream().anyMatch(l -> pull.stderr().contains("pull " + name + ": layer " + l.digest().substring(7, 19)
                        + " done, " + (l.size() < 1024 ? l.size() + " B" : ""))), pull.stderr());

                // The daemon logged the pull while it ran (at least 3 s at 512 KiB/s), with the manifest's total.
                Matcher logged = Pattern.compile("Pulling " + Pattern.quote(name)
                        + " for (\\d+) s: ([0-9.]+) of ([0-9.]+) MiB \\((\\d+)%\\), [0-9.]+ MiB/s, (\\d+)/(\\d+) layers").matcher(daemon.logs());
                assertTrue(logged.find(), daemon.logs());
                daemon.logs().lines().filter(l -> l.contains("Pulling ")).forEach(l -> System.out.println("daemon: " + l));
                assertEquals(String.format(java.util.Locale.ROOT, "%.1f", compressed / (double) (1 << 20)), logged.group(3), logged.group());
                assertEquals(String.valueOf(image.layers().size()), logged.group(6), logged.group());

                // Bytes pulled per repository: the image's compressed size (config and layers).
                String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
                        .build(), HttpResponse.BodyHandlers.ofString()).body();
                Matcher bytes = Pattern.compile("(?m)^crisp_image_pull_bytes_total\\{image=\"" + Pattern.quote(relay.host() + "/crisp/slow")
                        + "\"\\} (\\S+)$").matcher(metrics);
                assertTrue(bytes.find(), metrics);
                assertEquals(compressed, (long) Double.parseDouble(bytes.group(1)), metrics);

                // On a terminal: the block redrawn in place, then cleared before the id.
                daemon.client().images().removeImage(io.crisp.cri.v1.RemoveImageRequest.newBuilder()
                        .setImage(io.crisp.cri.v1.ImageSpec.newBuilder().setImage(image.config().digest())).build());
                String screen = onTerminal(List.of(Crisp.LAUNCHER.toString(), "images", "pull", name, "-l", "unix://" + daemon.socket));
                System.out.println("on a terminal (ESC shown as ^[):\n" + screen.replace("\033", "^["));
                assertTrue(Pattern.compile("\033\\[\\d+F").matcher(screen).find(), "redrawn in place: " + screen);
                assertTrue(screen.contains("pull " + name + "\033[K"), screen);
                Matcher layerLine = Pattern.compile("  ([0-9a-f]{12})  (waiting|downloading|unpacking|done) +[0-9.]+ [KMG]?i?B / [0-9.]+ [KMG]?i?B\033\\[K")
                        .matcher(screen);
                List<String> shown = new ArrayList<>();
                while (layerLine.find()) {
                    shown.add(layerLine.group(1) + " " + layerLine.group(2));
                }
                assertTrue(shown.stream().anyMatch(s -> s.endsWith(" downloading")), "a layer caught downloading: " + shown);
                for (TestImages.Blob layer : image.layers()) {
                    assertTrue(shown.stream().anyMatch(s -> s.startsWith(layer.digest().substring(7, 19))), layer.digest() + " in " + shown);
                }
                assertTrue(Pattern.compile("  total \\[[=> ]{20,21}\\] [0-9.]+ [KMG]?i?B / [0-9.]+ [KMG]?i?B, \\d+/" + image.layers().size()
                        + " layers, [0-9.]+ [KMG]?i?B/s, \\d+ s\033\\[K").matcher(screen).find(), screen);
                assertFalse(TOTAL_LINE.matcher(screen.replace("\r", "")).find(), "no log lines on a terminal: " + screen);
                assertTrue(Pattern.compile("\033\\[\\d+F\033\\[J" + Pattern.quote(name + " " + image.config().digest() + " ")).matcher(screen).find(),
                        "the block is cleared, then the id: " + screen);

                // --quiet: today's output, the id alone.
                Crisp.Run quiet = Crisp.run(List.of("images", "pull", "--quiet", name, "-l", "unix://" + daemon.socket));
                assertEquals(0, quiet.exitCode(), quiet.all());
                assertEquals("", quiet.stderr());
                assertTrue(quiet.stdout().startsWith(name + " " + image.config().digest() + " "), quiet.stdout());
            }
        }
    }

    /** At least two total lines, their byte counts never shrinking and growing overall, some below the total. */
    private static void assertGrowingTotals(String stderr, String name, int layers) {
        Matcher m = TOTAL_LINE.matcher(stderr);
        List<Double> done = new ArrayList<>();
        boolean midway = false;
        while (m.find()) {
            assertEquals(name, m.group(1), stderr);
            if (m.group(5) != null) {
                assertEquals(String.valueOf(layers), m.group(5), stderr);
            }
            done.add(bytes(m.group(2)));
            midway |= bytes(m.group(2)) < bytes(m.group(3));
        }
        assertTrue(done.size() >= 2 && midway, "progress lines while the pull ran: " + stderr);
        for (int i = 1; i < done.size(); i++) {
            assertTrue(done.get(i) >= done.get(i - 1), "bytes never shrink: " + stderr);
        }
        assertTrue(done.get(done.size() - 1) > done.get(0), "bytes grew: " + stderr);
    }

    /** {@code 1.5 MiB} in bytes. */
    private static double bytes(String text) {
        String[] parts = text.split(" ");
        int shift = switch (parts[1]) {
            case "B" -> 0;
            case "KiB" -> 10;
            case "MiB" -> 20;
            case "GiB" -> 30;
            default -> throw new AssertionError("unit of " + text);
        };
        return Double.parseDouble(parts[0]) * (1L << shift);
    }

    /** Runs {@code command} on a pty ({@code script -qec}) and returns what it wrote there. */
    private String onTerminal(List<String> command) throws IOException, InterruptedException {
        Path out = dir.resolve("terminal.out");
        String line = String.join(" ", command.stream().map(a -> "'" + a.replace("'", "'\\''") + "'").toList());
        ProcessBuilder builder = new ProcessBuilder(SCRIPT.toString(), "-qec", line, "/dev/null")
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(out.toFile()).redirectErrorStream(true);
        builder.environment().put("TERM", "xterm");
        builder.environment().put("COLUMNS", "120");
        Process p = builder.start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("script " + line + " did not finish in 90 s: " + Files.readString(out, StandardCharsets.UTF_8));
        }
        String screen = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), screen);
        return screen;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
