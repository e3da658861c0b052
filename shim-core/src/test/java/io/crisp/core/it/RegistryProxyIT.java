package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.image.testing.ServingRegistry;
import io.crisp.core.image.testing.TestImages;
import io.crisp.core.image.testing.TestPki;
import io.crisp.core.image.testing.TestRegistry;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.PullImageRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls through Debian's tinyproxy, from the daemon's HTTPS_PROXY / HTTP_PROXY / NO_PROXY. The registry lives in a
 * network namespace that only the proxy's namespace is wired to, so the host (and the daemon on it) cannot reach it
 * directly: a pull that works went through the proxy. A second registry on the host is named in NO_PROXY and must
 * be reached directly (the proxy's log shows no request for it).
 *
 * <pre>
 *   host 10.250.N.1 ==veth== 10.250.N.2 [netns proxy: tinyproxy :8888] 10.251.N.1 ==veth== 10.251.N.2 [netns registry]
 * </pre>
 */
final class RegistryProxyIT {
    private static final String USER = "crisp";
    private final String password = "pw-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    private final int n = 1 + ThreadLocalRandom.current().nextInt(250);
    private final String tag = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000));
    private final String proxyNs = "crpx-p-" + tag;
    private final String registryNs = "crpx-r-" + tag;
    private final String hostIp = "10.250." + n + ".1";
    private final String proxyIp = "10.250." + n + ".2";
    private final String registryIp = "10.251." + n + ".2";
    private final List<Process> started = new ArrayList<>();

    @TempDir
    Path dir;

    @BeforeEach
    void wire() {
        ip("netns", "add", proxyNs);
        ip("netns", "add", registryNs);
        ip("link", "add", "cpxh" + tag, "type", "veth", "peer", "name", "cpxp" + tag);
        ip("link", "set", "cpxp" + tag, "netns", proxyNs);
        ip("addr", "add", hostIp + "/30", "dev", "cpxh" + tag);
        ip("link", "set", "cpxh" + tag, "up");
        ip("-n", proxyNs, "addr", "add", proxyIp + "/30", "dev", "cpxp" + tag);
        ip("-n", proxyNs, "link", "set", "cpxp" + tag, "up");
        ip("-n", proxyNs, "link", "set", "lo", "up");
        ip("-n", proxyNs, "link", "add", "cpxr" + tag, "type", "veth", "peer", "name", "cpxq" + tag);
        ip("-n", proxyNs, "link", "set", "cpxq" + tag, "netns", registryNs);
        ip("-n", proxyNs, "addr", "add", "10.251." + n + ".1/30", "dev", "cpxr" + tag);
        ip("-n", proxyNs, "link", "set", "cpxr" + tag, "up");
        ip("-n", registryNs, "addr", "add", registryIp + "/30", "dev", "cpxq" + tag);
        ip("-n", registryNs, "link", "set", "cpxq" + tag, "up");
        ip("-n", registryNs, "link", "set", "lo", "up");
        // The host's default route may lead to a gateway that answers any address: make the registry's subnet unreachable
        // from the host, so only the proxy's namespace, wired to it, can get there.
        ip("route", "add", "unreachable", "10.251." + n + ".0/30");
    }

    @AfterEach
    void unwire() {
        for (Process p : started) {
            p.destroyForcibly();
        }
        ipQuietly("netns", "del", registryNs);
        ipQuietly("netns", "del", proxyNs);
        ipQuietly("link", "del", "cpxh" + tag); // gone with the namespace of its peer; in case that failed
        ipQuietly("route", "del", "unreachable", "10.251." + n + ".0/30");
    }

    private Process tinyproxy() throws IOException {
        Path conf = dir.resolve("tinyproxy.conf");
        Files.writeString(conf, """
                Port 8888
                Listen %s
                Timeout 60
                LogLevel Connect
                MaxClients 20
                Allow %s
                BasicAuth %s %s
                DisableViaHeader Yes
                """.formatted(proxyIp, hostIp, USER, password));
        Process p = new ProcessBuilder("ip", "netns", "exec", proxyNs, "tinyproxy", "-d", "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("tinyproxy.log").toFile()).start();
        started.add(p);
        for (int i = 0; i < 200 && !canConnect(proxyIp, 8888); i++) {
            assertTrue(p.isAlive(), () -> "tinyproxy exited: " + proxyLog());
            DaemonProcess.sleep(50);
        }
        return p;
    }

    private String proxyLog() {
        try {
            return Files.readString(dir.resolve("tinyproxy.log"));
        } catch (IOException e) {
            return "(no tinyproxy log: " + e + ")";
        }
    }

    private static boolean canConnect(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static PullImageRequest pull(String image) {
        return PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build();
    }

    @Test
    void pullsGoThroughTheProxyExceptForNoProxyHosts() throws Exception {
        TestPki pki = new TestPki(dir.resolve("pki"));
        pki.ca("ca");
        pki.server("registry", "ca", registryIp);
        String tlsHost = registryIp + ":5000";
        String plainHost = registryIp + ":5001";
        String bypassHost = hostIp + ":5002";
        tinyproxy();
        try (TestRegistry source = TestRegistry.start(dir.resolve("source"));
             ServingRegistry tls = ServingRegistry.start(source, dir.resolve("tls"),
                     ServingRegistry.Options.tls(tlsHost, pki.cert("registry"), pki.key("registry")).inNetns(registryNs));
             ServingRegistry plain = ServingRegistry.start(source, dir.resolve("plain"),
                     ServingRegistry.Options.plain(plainHost).inNetns(registryNs));
             ServingRegistry bypass = ServingRegistry.start(source, dir.resolve("bypass"), ServingRegistry.Options.plain(bypassHost))) {
            TestImages.BuiltImage image = TestImages.pushOci(source, "proxied/busybox", "1");
            assertFalse(canConnect(registryIp, 5000), "the registry must be out of the host's reach; only the proxy reaches it");

            Path certs = dir.resolve("certs.d");
            Files.createDirectories(certs.resolve(tlsHost));
            Files.copy(pki.cert("ca"), certs.resolve(tlsHost).resolve("ca.crt"));
            Files.writeString(dir.resolve("registries.conf"), """
                    [[registry]]
                    location = "%s"
                    insecure = true
                    [[registry]]
                    location = "%s"
                    insecure = true
                    """.formatted(plainHost, bypassHost));
            String proxyUrl = "http://" + USER + ":" + password + "@" + proxyIp + ":8888";
            DaemonProcess daemon = new DaemonProcess(dir.resolve("daemon"))
                    .withEnv("HTTPS_PROXY", proxyUrl).withEnv("http_proxy", proxyUrl)
                    .withEnv("NO_PROXY", "example.invalid, " + hostIp);
            daemon.writeConfig("[image]\nregistries_conf = \"" + dir.resolve("registries.conf") + "\"\n"
                    + "certs_dirs = \"" + certs + "\"\nimage_pull_progress_timeout = \"20s\"\n[runtimes.runc]\nplugin = \"runc\"\n");
            try (DaemonProcess running = daemon.start()) {
                // https: a CONNECT tunnel, TLS with the certs.d CA inside it.
                assertEquals(image.config().digest(), running.client().images().pullImage(pull(tlsHost + "/proxied/busybox:1")).getImageRef());
                assertTrue(proxyLog().contains("CONNECT " + tlsHost), proxyLog());
                assertTrue(tls.log().contains("/v2/proxied/busybox/blobs/" + image.layers().get(0).digest()), tls.log());

                // http: an absolute-URI GET to the proxy (the lower-case http_proxy is read too).
                running.client().images().pullImage(pull(plainHost + "/proxied/busybox:1"));
                assertTrue(proxyLog().contains("GET http://" + plainHost + "/v2/proxied/busybox/manifests/1"), proxyLog());

                // NO_PROXY: straight to the registry, the proxy sees nothing of it.
                running.client().images().pullImage(pull(bypassHost + "/proxied/busybox:1"));
                assertTrue(bypass.log().contains("/v2/proxied/busybox/manifests/1"), bypass.log());
                assertFalse(proxyLog().contains(bypassHost), proxyLog());

                assertFalse(running.logs().contains(password), "the proxy password must not be logged:\n" + running.logs());
            }

            // Wrong credentials: the proxy refuses the tunnel, the error says so and shows no password.
            DaemonProcess refused = new DaemonProcess(dir.resolve("daemon2"))
                    .withEnv("HTTPS_PROXY", "http://" + USER + ":wrong-" + password + "@" + proxyIp + ":8888");
            refused.writeConfig("[image]\nregistries_conf = \"" + dir.resolve("registries.conf") + "\"\n"
                    + "certs_dirs = \"" + certs + "\"\nimage_pull_progress_timeout = \"20s\"\n[runtimes.runc]\nplugin = \"runc\"\n");
            try (DaemonProcess running = refused.start()) {
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                        () -> running.client().images().pullImage(pull(tlsHost + "/proxied/busybox:2")));
                assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
                String message = e.getStatus().getDescription();
                // tinyproxy 1.11 answers a CONNECT with wrong credentials 401, not 407.
                assertTrue(message.contains("proxy http://***@" + proxyIp + ":8888 refused to tunnel to " + tlsHost + ": HTTP 401")
                        && message.endsWith("(it refused the credentials in the proxy URL)"), message);
                assertFalse(message.contains(password) || running.logs().contains(password), message);
            }
        }
    }

    private static void ip(String... args) {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, () -> String.join(" ", command) + " failed: " + out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void ipQuietly(String... args) {
        try {
            List<String> command = new ArrayList<>(List.of("ip"));
            command.addAll(List.of(args));
            new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(30, TimeUnit.SECONDS);
        } catch (IOException e) {
            // best effort
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
