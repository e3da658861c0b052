package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.crisp.core.image.testing.TestImages;
import io.crisp.core.image.testing.TestRegistry;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.ImageStatusRequest;
import io.crisp.cri.v1.ListImagesRequest;
import io.crisp.cri.v1.PullImageRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * policy.json and registries.d enforced by a real daemon on every pull: images pushed to Debian's
 * docker-registry, signed by skopeo with GPG keys gnupg makes (simple signing, signatures in a
 * lookaside directory and behind an HTTP server), sigstore signatures as OCI attachments.
 */
final class SignaturePolicyIT {
    private static final Path SKOPEO = Path.of("/usr/bin/skopeo");
    private static final Path GPG = Path.of("/usr/bin/gpg");

    @TempDir
    Path dir;

    private Path gnupg;

    @AfterEach
    void stopGpgAgent() throws Exception {
        if (gnupg != null) { // the agent gpg started for this home; nothing else
            run(Map.of("GNUPGHOME", gnupg.toString()), "gpgconf", "--kill", "all");
        }
    }

    @Test
    void gpgSignaturesFromLookasideAreCheckedPerScopeAndARefusedPullLeavesNothing() throws Exception {
        assertTrue(Files.isExecutable(SKOPEO), "skopeo signs the test images: install the Debian package skopeo");
        assertTrue(Files.isExecutable(GPG), "gpg makes the test keys: install the Debian package gnupg");
        gnupg = Files.createDirectories(dir.resolve("gnupg"));
        run(Map.of(), "chmod", "700", gnupg.toString());
        String trusted = newKey("crisp trusted <trusted@crisp.invalid>", "default");
        String stranger = newKey("crisp stranger <stranger@crisp.invalid>", "default");
        String edwards = newKey("crisp ed25519 <ed@crisp.invalid>", "ed25519");
        Path trustedKey = exportKey(trusted, "trusted.gpg");
        byte[] edwardsKey = Files.readAllBytes(exportKey(edwards, "ed.gpg"));
        Path lookaside = Files.createDirectories(dir.resolve("lookaside"));
        Path webSigs = Files.createDirectories(dir.resolve("web-sigs"));

        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry")); Web web = Web.serve(webSigs)) {
            String host = registry.host();
            Path registriesD = Files.createDirectories(dir.resolve("registries.d"));
            Files.writeString(registriesD.resolve("test.yaml"), """
                    default-docker:
                      lookaside: file://%s
                      lookaside-staging: file://%s
                    docker:
                      %s/web:
                        lookaside: %s
                        lookaside-staging: file://%s
                    """.formatted(lookaside, lookaside, host, web.url(), webSigs));
            Path policy = dir.resolve("policy.json");
            Files.writeString(policy, """
                    {
                      "default": [{"type": "reject"}],
                      "transports": {
                        "docker": {
                          "%1$s/signed": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "%2$s"}],
                          "%1$s/signed/banned": [{"type": "reject"}],
                          "%1$s/open": [{"type": "insecureAcceptAnything"}],
                          "%1$s/ed": [{"type": "signedBy", "keyType": "GPGKeys", "keyData": "%3$s"}],
                          "%1$s/web": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "%2$s"}]
                        }
                      }
                    }
                    """.formatted(host, trustedKey, Base64.getEncoder().encodeToString(edwardsKey)));

            TestImages.BuiltImage plain = TestImages.pushOci(registry, "plain/app", "1");
            TestImages.pushOci(registry, "signed/unsigned", "1");
            TestImages.BuiltImage open = TestImages.pushOci(registry, "open/app", "1");
            TestImages.pushOci(registry, "open/late", "1");
            TestImages.BuiltImage moved = TestImages.pushDockerSchema2(registry, "signed/moved", "1");
            String source = "docker://" + host + "/plain/app:1";
            skopeoCopy(registriesD, source, host + "/signed/app:1", "--sign-by", trusted);
            skopeoCopy(registriesD, source, host + "/signed/other:1", "--sign-by", stranger);
            skopeoCopy(registriesD, source, host + "/signed/banned:1", "--sign-by", trusted);
            skopeoCopy(registriesD, source, host + "/signed/renamed:1", "--sign-by", trusted, "--sign-identity", host + "/signed/elsewhere:1");
            skopeoCopy(registriesD, source, host + "/ed/app:1", "--sign-by", edwards);
            skopeoCopy(registriesD, source, host + "/web/app:1", "--sign-by", trusted);
            // A multi-platform image: skopeo --all signs the index, the digest the reference names.
            TestImages.BuiltIndex multi = TestImages.pushIndex(registry, "plain/multi", "1", false);
            skopeoCopy(registriesD, "docker://" + host + "/plain/multi:1", host + "/signed/multi:1", "--all", "--sign-by", trusted);
            assertTrue(Files.isRegularFile(lookaside.resolve("signed/multi@" + multi.indexDigest().replace(':', '=') + "/signature-1")),
                    "skopeo --all signed the index");
            String digest = plain.manifestDigest(); // skopeo copies the manifest unchanged: every copy has this digest
            assertTrue(Files.isRegularFile(lookaside.resolve("signed/app@" + digest.replace(':', '=') + "/signature-1")), "skopeo signed");
            assertTrue(Files.isRegularFile(webSigs.resolve("web/app@" + digest.replace(':', '=') + "/signature-1")), "skopeo signed to staging");
            // A genuine signature of signed/app, put where signed/moved's (another manifest) would be.
            Path movedSigs = Files.createDirectories(lookaside.resolve("signed/moved@" + moved.manifestDigest().replace(':', '=')));
            Files.copy(lookaside.resolve("signed/app@" + digest.replace(':', '=') + "/signature-1"), movedSigs.resolve("signature-1"));

            DaemonProcess daemon = new DaemonProcess(dir.resolve("daemon"));
            Files.writeString(dir.resolve("registries.conf"), "[[registry]]\nlocation = \"%s\"\ninsecure = true\n".formatted(host));
            daemon.writeConfig("[image]\nregistries_conf = \"" + dir.resolve("registries.conf") + "\"\nsignature_policy = \"" + policy
                    + "\"\nregistries_d = \"" + registriesD + "\"\n[runtimes.runc]\nplugin = \"runc\"\n");
            try (DaemonProcess running = daemon.start()) {
                refused(running, host + "/plain/app:1", Status.Code.PERMISSION_DENIED, "scope default", "requirement reject",
                        "images of this scope are rejected");
                refused(running, host + "/signed/unsigned:1", Status.Code.PERMISSION_DENIED, "scope docker:" + host + "/signed",
                        "signedBy (GPGKeys, keyPath " + trustedKey + ")", "no signature at file://" + lookaside + "/signed/unsigned@sha256=");
                refused(running, host + "/signed/other:1", Status.Code.PERMISSION_DENIED, "which is not among the trusted keys");
                refused(running, host + "/signed/moved:1", Status.Code.PERMISSION_DENIED,
                        "the signature is for manifest " + digest + ", not the pulled manifest " + moved.manifestDigest());
                refused(running, host + "/signed/banned:1", Status.Code.PERMISSION_DENIED, "scope docker:" + host + "/signed/banned",
                        "requirement reject");
                refused(running, host + "/signed/renamed:1", Status.Code.PERMISSION_DENIED,
                        "the signed identity " + host + "/signed/elsewhere:1 does not match " + host + "/signed/renamed:1");
                // Only the manifest was read: no blob, layer or record of any refused image.
                assertEquals(List.of(), storeContents(running), "a refused pull leaves nothing in the store");
                for (String repository : List.of("plain/app", "signed/other", "signed/banned", "signed/renamed")) {
                    neverFetched(registry, repository, plain.config().digest());
                }
                neverFetched(registry, "signed/moved", moved.config().digest());
                assertEquals(0, running.client().images().listImages(ListImagesRequest.getDefaultInstance()).getImagesCount());

                for (String accepted : List.of("/signed/app:1", "/signed/app@" + digest, "/open/app:1", "/ed/app:1", "/web/app:1")) {
                    String id = running.client().images().pullImage(pull(host + accepted)).getImageRef();
                    assertEquals((accepted.startsWith("/open/") ? open : plain).config().digest(), id, accepted);
                    assertTrue(running.client().images().imageStatus(ImageStatusRequest.newBuilder().setImage(spec(host + accepted)).build())
                            .hasImage(), accepted);
                }
                assertTrue(running.logs().contains("accepts " + host + "/web/app:1"), "the http:// lookaside was used");
                String multiId = running.client().images().pullImage(pull(host + "/signed/multi:1")).getImageRef();
                assertEquals(multi.amd64().config().digest(), multiId, "the index's signature admits its linux/amd64 image");

                // policy.json is read on every pull: without it every pull is refused, naming the file.
                Files.delete(policy);
                refused(running, host + "/open/late:1", Status.Code.FAILED_PRECONDITION, "signature policy " + policy + " does not exist");
            }
        }
    }

    /*
     * Debian's skopeo 1.9.3 is built without sigstore ("creating signature: Debian-local change:
     * sigstore disabled"), so --sign-by-sigstore-private-key cannot make these: the test writes the
     * attachments as cosign's storage specification lays them out and signs the payload with the JDK.
     */
    @Test
    void sigstoreSignaturesStoredAsOciAttachmentsAreCheckedWithTheirPublicKey() throws Exception {
        KeyPair key = ecKey();
        KeyPair stranger = ecKey();
        Path publicKey = dir.resolve("cosign.pub");
        Files.writeString(publicKey, pem(key.getPublic()));
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"))) {
            String host = registry.host();
            Path registriesD = Files.createDirectories(dir.resolve("registries.d"));
            Files.writeString(registriesD.resolve("attachments.yaml"), """
                    docker:
                      %s/cosign:
                        use-sigstore-attachments: true
                    """.formatted(host));
            Path policy = dir.resolve("policy.json");
            Files.writeString(policy, """
                    {
                      "default": [{"type": "reject"}],
                      "transports": {
                        "docker": {
                          "%1$s/cosign": [{"type": "sigstoreSigned", "keyPath": "%2$s"}],
                          "%1$s/elsewhere": [{"type": "sigstoreSigned", "keyData": "%3$s"}]
                        }
                      }
                    }
                    """.formatted(host, publicKey, Base64.getEncoder().encodeToString(Files.readAllBytes(publicKey))));
            TestImages.BuiltImage app = TestImages.pushOci(registry, "cosign/app", "1");
            String digest = app.manifestDigest();
            attach(registry, "cosign/app", digest, payload(host + "/cosign/app:1", digest), key);
            String strangerDigest = TestImages.pushOci(registry, "cosign/stranger", "1").manifestDigest(); // each push is an image of its own
            attach(registry, "cosign/stranger", strangerDigest, payload(host + "/cosign/stranger:1", strangerDigest), stranger);
            TestImages.pushOci(registry, "cosign/unsigned", "1");
            TestImages.BuiltImage moved = TestImages.pushDockerSchema2(registry, "cosign/moved", "1");
            attach(registry, "cosign/moved", moved.manifestDigest(), payload(host + "/cosign/moved:1", digest), key);
            String elsewhereDigest = TestImages.pushOci(registry, "elsewhere/app", "1").manifestDigest();
            attach(registry, "elsewhere/app", elsewhereDigest, payload(host + "/elsewhere/app:1", elsewhereDigest), key);

            DaemonProcess daemon = new DaemonProcess(dir.resolve("daemon"));
            Files.writeString(dir.resolve("registries.conf"), "[[registry]]\nlocation = \"%s\"\ninsecure = true\n".formatted(host));
            daemon.writeConfig("[image]\nregistries_conf = \"" + dir.resolve("registries.conf") + "\"\nsignature_policy = \"" + policy
                    + "\"\nregistries_d = \"" + registriesD + "\"\n[runtimes.runc]\nplugin = \"runc\"\n");
            try (DaemonProcess running = daemon.start()) {
                refused(running, host + "/cosign/stranger:1", Status.Code.PERMISSION_DENIED, "scope docker:" + host + "/cosign",
                        "sigstoreSigned (keyPath " + publicKey + ")", "not made by a trusted key");
                refused(running, host + "/cosign/unsigned:1", Status.Code.PERMISSION_DENIED, "no sigstore signature");
                refused(running, host + "/cosign/moved:1", Status.Code.PERMISSION_DENIED,
                        "the signature is for manifest " + digest + ", not the pulled manifest " + moved.manifestDigest());
                refused(running, host + "/elsewhere/app:1", Status.Code.PERMISSION_DENIED, "sigstoreSigned (keyData)",
                        "sets use-sigstore-attachments: true for " + host + "/elsewhere/app");
                assertEquals(List.of(), storeContents(running), "a refused pull leaves nothing in the store, signatures neither");
                neverFetched(registry, "cosign/moved", moved.config().digest());

                assertEquals(app.config().digest(), running.client().images().pullImage(pull(host + "/cosign/app:1")).getImageRef());
                assertEquals(app.config().digest(), running.client().images().pullImage(pull(host + "/cosign/app@" + digest)).getImageRef());
            }
        }
    }

    private static KeyPair ecKey() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static String pem(PublicKey key) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    private static byte[] payload(String identity, String digest) {
        return ("{\"critical\":{\"identity\":{\"docker-reference\":\"" + identity + "\"},\"image\":{\"docker-manifest-digest\":\"" + digest
                + "\"},\"type\":\"cosign container image signature\"},\"optional\":null}").getBytes(StandardCharsets.UTF_8);
    }

    /** Pushes a signature of {@code payload} as cosign stores one: tag sha256-<hex>.sig, one annotated layer. */
    private static void attach(TestRegistry registry, String repository, String digest, byte[] payload, KeyPair key) throws Exception {
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(key.getPrivate());
        signer.update(payload);
        String signature = Base64.getEncoder().encodeToString(signer.sign());
        String payloadDigest = registry.pushBlob(repository, payload);
        byte[] config = ("{\"architecture\":\"\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + payloadDigest
                + "\"]}}").getBytes(StandardCharsets.UTF_8);
        String configDigest = registry.pushBlob(repository, config);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + TestImages.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + TestImages.OCI_CONFIG
                + "\",\"size\":" + config.length + ",\"digest\":\"" + configDigest + "\"},\"layers\":[{\"mediaType\":"
                + "\"application/vnd.dev.cosign.simplesigning.v1+json\",\"size\":" + payload.length + ",\"digest\":\"" + payloadDigest
                + "\",\"annotations\":{\"dev.cosignproject.cosign/signature\":\"" + signature + "\"}}]}").getBytes(StandardCharsets.UTF_8);
        registry.pushManifest(repository, digest.replace(':', '-') + ".sig", TestImages.OCI_MANIFEST, manifest);
    }

    /**
     * The registry's access log shows the daemon (user agent "crisp"; skopeo, which copied the
     * images, has its own) read the manifest and never the config: refused from the manifest alone.
     */
    private static void neverFetched(TestRegistry registry, String repository, String blob) {
        List<String> daemon = registry.log().lines().filter(l -> l.contains("\"crisp\"")).toList();
        assertTrue(daemon.stream().anyMatch(l -> l.contains("/v2/" + repository + "/manifests/")),
                "the access log lists the daemon's manifest reads of " + repository + ":\n" + registry.log());
        assertTrue(daemon.stream().noneMatch(l -> l.contains("/v2/" + repository + "/blobs/" + blob)), repository + ": a refused image's blob was downloaded");
    }

    private static void refused(DaemonProcess daemon, String image, Status.Code code, String... fragments) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> daemon.client().images().pullImage(pull(image)), image);
        assertEquals(code, e.getStatus().getCode(), image + ": " + e.getStatus());
        String message = String.valueOf(e.getStatus().getDescription());
        if (code == Status.Code.PERMISSION_DENIED) {
            assertTrue(message.contains("image \"" + image + "\""), message);
        }
        for (String fragment : fragments) {
            assertTrue(message.contains(fragment), "\"" + fragment + "\" missing from: " + message);
        }
    }

    /** Blob files, unpacked layers and image records under the daemon's image store. */
    static List<String> storeContents(DaemonProcess daemon) throws IOException {
        Path images = daemon.root.resolve("images");
        List<String> found = new ArrayList<>();
        for (String sub : List.of("blobs/sha256", "layers", "meta")) {
            Path d = images.resolve(sub);
            if (Files.isDirectory(d)) {
                try (Stream<Path> entries = Files.list(d)) {
                    entries.forEach(p -> found.add(sub + "/" + p.getFileName()));
                }
            }
        }
        return List.copyOf(new TreeSet<>(found));
    }

    static PullImageRequest pull(String image) {
        return PullImageRequest.newBuilder().setImage(spec(image)).build();
    }

    static ImageSpec spec(String image) {
        return ImageSpec.newBuilder().setImage(image).build();
    }

    private String newKey(String uid, String algorithm) throws Exception {
        run(Map.of("GNUPGHOME", gnupg.toString()), "gpg", "--batch", "--passphrase", "", "--quick-gen-key", uid, algorithm, "default", "never");
        String colons = run(Map.of("GNUPGHOME", gnupg.toString()), "gpg", "--batch", "--with-colons", "--list-keys", uid);
        return colons.lines().filter(l -> l.startsWith("fpr:")).findFirst().orElseThrow().split(":")[9];
    }

    private Path exportKey(String fingerprint, String name) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, run(Map.of("GNUPGHOME", gnupg.toString()), "gpg", "--batch", "--armor", "--export", fingerprint));
        return file;
    }

    private void skopeoCopy(Path registriesD, String source, String target, String... signing) throws Exception {
        Path conf = dir.resolve("skopeo-registries.conf");
        if (!Files.exists(conf)) {
            Files.writeString(conf, "");
        }
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--registries-conf", conf.toString(), "--registries.d", registriesD.toString(),
                "--insecure-policy", "copy", "--src-tls-verify=false", "--dest-tls-verify=false"));
        cmd.addAll(List.of(signing));
        cmd.add(source);
        cmd.add("docker://" + target);
        run(Map.of("GNUPGHOME", gnupg.toString()), cmd.toArray(String[]::new));
    }

    /** Runs a command to its end; its stdout, or a failure with its output. */
    static String run(Map<String, String> env, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        assertEquals(0, rc, String.join(" ", command) + " failed:\n" + out);
        return out;
    }

    /** A lookaside served over HTTP: the JDK's server on loopback, files of one directory. */
    record Web(HttpServer server, Path root) implements AutoCloseable {
        static Web serve(Path root) throws IOException {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/sigs/", exchange -> {
                Path file = root.resolve(exchange.getRequestURI().getPath().substring("/sigs/".length())).normalize();
                byte[] body = file.startsWith(root) && Files.isRegularFile(file) ? Files.readAllBytes(file) : null;
                exchange.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
                if (body != null) {
                    exchange.getResponseBody().write(body);
                }
                exchange.close();
            });
            server.start();
            return new Web(server, root);
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/sigs";
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
