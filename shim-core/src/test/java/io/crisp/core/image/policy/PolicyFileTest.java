package io.crisp.core.image.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.core.image.ref.ImageReference;
import io.crisp.spi.BackendException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class PolicyFileTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static PolicyFile parse(String json) throws Exception {
        return PolicyFile.parse(JSON.readTree(json));
    }

    private static ImageReference ref(String text) {
        return ImageReference.parse(text);
    }

    @Test
    void scopesGoFromTheImageToItsRepositoryNamespacesHostAndWildcardDomains() {
        assertEquals(List.of("quay.example.com/ns/sub/repo:1", "quay.example.com/ns/sub/repo", "quay.example.com/ns/sub", "quay.example.com/ns",
                "quay.example.com", "*.example.com", "*.com"), PolicyFile.scopes(ref("quay.example.com/ns/sub/repo:1")));
        String digest = "sha256:" + "a".repeat(64);
        assertEquals(List.of("localhost:5000/repo@" + digest, "localhost:5000/repo", "localhost:5000"),
                PolicyFile.scopes(ref("localhost:5000/repo:tag@" + digest)), "a digest wins over a tag; no wildcard for a host with a port");
    }

    @Test
    void theMostSpecificScopeDecidesAlone() throws Exception {
        PolicyFile policy = parse("""
                {"default": [{"type": "reject"}],
                 "transports": {"docker": {
                   "r.example/team": [{"type": "insecureAcceptAnything"}],
                   "r.example/team/locked": [{"type": "reject"}],
                   "*.example": [{"type": "insecureAcceptAnything"}, {"type": "reject"}]},
                  "atomic": {"x": [{"type": "reject"}]}}}
                """);
        assertEquals("docker:r.example/team", policy.forImage(ref("r.example/team/app:1")).scope());
        assertEquals("docker:r.example/team/locked", policy.forImage(ref("r.example/team/locked:1")).scope());
        assertEquals("docker:*.example", policy.forImage(ref("other.example/app:1")).scope());
        assertEquals(2, policy.forImage(ref("other.example/app:1")).requirements().size());
        assertEquals("default", policy.forImage(ref("docker.io/library/busybox:1")).scope());
        PolicyFile withTransportDefault = parse("""
                {"default": [{"type": "reject"}], "transports": {"docker": {"": [{"type": "insecureAcceptAnything"}]}}}
                """);
        assertEquals("docker (transport default)", withTransportDefault.forImage(ref("busybox")).scope());
    }

    @Test
    void parsingIsStrictAndNamesTheField() {
        assertEquals("default[0]: unknown field \"keyPath\"",
                assertThrows(PolicyException.class, () -> parse("{\"default\": [{\"type\": \"reject\", \"keyPath\": \"/k\"}]}")).getMessage());
        assertTrue(assertThrows(PolicyException.class, () -> parse("{\"transports\": {}}")).getMessage().contains("\"default\" is missing"));
        assertTrue(assertThrows(PolicyException.class, () -> parse("{\"default\": []}")).getMessage().contains("non-empty array"));
        assertTrue(assertThrows(PolicyException.class, () -> parse("{\"default\": [{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\"}]}"))
                .getMessage().contains("needs exactly one of keyPath, keyPaths, keyData"));
        assertTrue(assertThrows(PolicyException.class, () -> parse(
                "{\"default\": [{\"type\": \"signedBy\", \"keyType\": \"X509Certificates\", \"keyPath\": \"/k\"}]}")).getMessage()
                .contains("keyType: \"X509Certificates\" is not supported"));
        assertTrue(assertThrows(PolicyException.class, () -> parse("{\"default\": [{\"type\": \"sigstoreSigned\", \"fulcio\": {}}]}"))
                .getMessage().contains("default[0].fulcio is not supported"));
        assertTrue(assertThrows(PolicyException.class, () -> parse(
                "{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"docker\": {\"a*b.example\": [{\"type\": \"reject\"}]}}}")).getMessage()
                .contains("is not a docker scope"));
    }

    @Test
    void aMissingOrBrokenPolicyIsAFailedPreconditionNamingTheFile() throws Exception {
        Path missing = dir.resolve("policy.json");
        BackendException e = assertThrows(BackendException.class, () -> SignaturePolicy.load(missing, dir.resolve("none"), Duration.ofSeconds(1)));
        assertEquals(BackendException.Kind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().contains(missing + " does not exist"), e.getMessage());
        Files.writeString(missing, "{\"default\": [{\"type\": \"reject\"}], \"default\": [{\"type\": \"reject\"}]}");
        e = assertThrows(BackendException.class, () -> SignaturePolicy.load(missing, dir.resolve("none"), Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("is invalid: not valid JSON: Duplicate field 'default'"), e.getMessage());
    }

    @Test
    void aKeyThatCannotBeReadRefusesOnlyThePullsOfItsScope() throws Exception {
        Path policy = dir.resolve("policy.json");
        Path key = dir.resolve("missing.gpg");
        Files.writeString(policy, """
                {"default": [{"type": "insecureAcceptAnything"}],
                 "transports": {"docker": {"r.example/signed": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "%s"}],
                                           "r.example/cosign": [{"type": "sigstoreSigned", "keyData": "bm90IGEga2V5"}]}}}
                """.formatted(key));
        SignaturePolicy loaded = SignaturePolicy.load(policy, dir.resolve("none"), Duration.ofSeconds(1));
        String digest = "sha256:" + "d".repeat(64);
        loaded.check(ref("r.example/open/app:1"), digest, Attachments.NONE);
        BackendException e = assertThrows(BackendException.class, () -> loaded.check(ref("r.example/signed/app:1"), digest, Attachments.NONE));
        assertEquals(BackendException.Kind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().endsWith("signedBy (GPGKeys, keyPath " + key + ") cannot be used: " + key + " does not exist"), e.getMessage());
        e = assertThrows(BackendException.class, () -> loaded.check(ref("r.example/cosign/app:1"), digest, Attachments.NONE));
        assertTrue(e.getMessage().endsWith("cannot be used: keyData holds no PEM PUBLIC KEY block"), e.getMessage());
    }

    @Test
    void signedIdentitiesFollowThePolicyFormat() throws Exception {
        ImageReference tagged = ref("r.example/ns/app:1");
        ImageReference digested = ref("r.example/ns/app@sha256:" + "b".repeat(64));
        SignedIdentity byDefault = SignedIdentity.DEFAULT;
        assertTrue(byDefault.accepts(tagged, ref("r.example/ns/app:1")));
        assertFalse(byDefault.accepts(tagged, ref("r.example/ns/app:2")), "a tag reference needs exactly its tag");
        assertTrue(byDefault.accepts(digested, ref("r.example/ns/app:2")), "a digest reference takes any signature of the repository");
        assertFalse(byDefault.accepts(digested, ref("r.example/ns/other:2")));
        SignedIdentity repository = SignedIdentity.parse(JSON.readTree("{\"type\": \"matchRepository\"}"), "x");
        assertTrue(repository.accepts(tagged, ref("r.example/ns/app:2")));
        SignedIdentity exact = SignedIdentity.parse(JSON.readTree("{\"type\": \"exactReference\", \"dockerReference\": \"q.example/app:7\"}"), "x");
        assertTrue(exact.accepts(tagged, ref("q.example/app:7")));
        assertFalse(exact.accepts(tagged, ref("r.example/ns/app:1")));
        SignedIdentity exactRepo = SignedIdentity.parse(JSON.readTree("{\"type\": \"exactRepository\", \"dockerRepository\": \"q.example/app\"}"), "x");
        assertTrue(exactRepo.accepts(tagged, ref("q.example/app:9")));
        SignedIdentity remap = SignedIdentity.parse(JSON.readTree(
                "{\"type\": \"remapIdentity\", \"prefix\": \"mirror.example/ns\", \"signedPrefix\": \"r.example/ns\"}"), "x");
        assertTrue(remap.accepts(ref("mirror.example/ns/app:1"), ref("r.example/ns/app:1")));
        assertFalse(remap.accepts(ref("mirror.example/ns/app:1"), ref("mirror.example/ns/app:2")));
        assertThrows(PolicyException.class, () -> SignedIdentity.parse(JSON.readTree("{\"type\": \"exactReference\"}"), "x"));
    }

    @Test
    void registriesDPicksTheMostSpecificNamespaceAndLaysOutSignatureUrls() throws Exception {
        Files.writeString(dir.resolve("default.yaml"), "# comments only\n");
        Files.writeString(dir.resolve("a.yaml"), """
                default-docker:
                  lookaside: https://sigs.example/base/
                docker:
                  r.example/ns:
                    sigstore: file:///srv/sigs
                    use-sigstore-attachments: true
                  r.example/ns/app:
                    lookaside-staging: file:///srv/staging
                """);
        RegistriesD d = RegistriesD.load(dir);
        assertEquals("file:///srv/sigs", d.lookaside(ref("r.example/ns/app:1")).toString(), "the legacy sigstore key, from the namespace");
        assertEquals("https://sigs.example/base", d.lookaside(ref("other.example/app:1")).toString());
        assertTrue(d.useSigstoreAttachments(ref("r.example/ns/app:1")));
        assertFalse(d.useSigstoreAttachments(ref("other.example/app:1")));
        assertEquals("file:///srv/sigs/ns/app@sha256=" + "c".repeat(64) + "/signature-2",
                RegistriesD.signatureUrl(d.lookaside(ref("r.example/ns/app:1")), ref("r.example/ns/app:1"), "sha256:" + "c".repeat(64), 2).toString());
        assertEquals(RegistriesD.BUILTIN_LOOKASIDE, RegistriesD.load(dir.resolve("absent")).lookaside(ref("r.example/app:1")));
        Files.writeString(dir.resolve("b.yaml"), "docker:\n  r.example/ns:\n    lookaside: file:///x\n");
        assertTrue(assertThrows(PolicyException.class, () -> RegistriesD.load(dir)).getMessage().contains("is also configured in"));
    }
}
