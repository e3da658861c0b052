package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A CNI network of a test's own: a bridge named {@code ct<6 hex>} and a /24 under 10.200-250.x.0
 * that no route of the host uses, with host-local keeping its allocations in the test's directory.
 * {@link #close()} deletes the bridge. Plugins come from Debian's containernetworking-plugins.
 */
final class TestNetwork implements AutoCloseable {
    static final Path CNI_BIN = Path.of("/usr/lib/cni");
    private static final SecureRandom RANDOM = new SecureRandom();

    final String bridge;
    final String subnetPrefix;   // "10.213.7."
    final Path dataDir;          // host-local's allocations: one file per IP in use

    private TestNetwork(String bridge, String subnetPrefix, Path dataDir) {
        this.bridge = bridge;
        this.subnetPrefix = subnetPrefix;
        this.dataDir = dataDir;
    }

    static void requirePlugins() {
        for (String plugin : List.of("bridge", "host-local", "loopback", "portmap")) {
            Crisp.requireExecutable(CNI_BIN.resolve(plugin), "for pod networking (containernetworking-plugins)");
        }
    }

    static TestNetwork create(Path dir) {
        requirePlugins();
        String routes = run("ip", "-4", "route");
        for (int attempt = 0; attempt < 50; attempt++) {
            String prefix = "10." + (200 + RANDOM.nextInt(51)) + "." + RANDOM.nextInt(256) + ".";
            if (!routes.contains(prefix)) {
                return new TestNetwork("ct" + String.format("%06x", RANDOM.nextInt(1 << 24)), prefix, dir.resolve("cni-ipam"));
            }
        }
        throw new AssertionError("no free test subnet found");
    }

    String subnet() {
        return subnetPrefix + "0/24";
    }

    /** A conflist: bridge (gateway, masquerade) with host-local, then portmap. */
    String conflist() {
        return """
                {
                  "cniVersion": "1.0.0",
                  "name": "crisp-test",
                  "plugins": [
                    {"type": "bridge", "bridge": "%s", "isGateway": true, "ipMasq": true, "hairpinMode": true,
                     "ipam": {"type": "host-local", "ranges": [[{"subnet": "%s"}]], "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "%s"}},
                    {"type": "portmap", "capabilities": {"portMappings": true}}
                  ]
                }
                """.formatted(bridge, subnet(), dataDir);
    }

    /** Writes the conflist into {@code confDir} as {@code 10-test.conflist}. */
    void writeTo(Path confDir) {
        try {
            Files.createDirectories(confDir);
            Files.writeString(confDir.resolve("10-test.conflist"), conflist());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** IPs host-local holds now. */
    List<String> allocated() {
        Path dir = dataDir.resolve("crisp-test");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(subnetPrefix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Host-side veth interfaces attached to this test's bridge. */
    List<String> veths() {
        String out = run("ip", "-o", "link", "show", "master", bridge);
        if (out.contains("does not exist")) {
            return List.of(); // no pod has created the bridge yet
        }
        return out.lines().filter(l -> !l.isBlank()).toList();
    }

    @Override
    public void close() {
        run("ip", "link", "del", bridge);
    }

    static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", command) + " did not finish");
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
