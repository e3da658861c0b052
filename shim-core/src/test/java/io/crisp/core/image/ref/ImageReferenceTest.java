package io.crisp.core.image.ref;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.BackendException;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

final class ImageReferenceTest {
    private static final String SHA256 = "sha256:" + "a".repeat(64);
    private static final String SHA256_B = "sha256:" + "0123456789abcdef".repeat(4);
    private static final String SHA512 = "sha512:" + "f".repeat(128);

    /** Parses and expects INVALID_ARGUMENT; returns the message. */
    private static String refuse(String text) {
        BackendException e = assertThrows(BackendException.class, () -> ImageReference.parse(text));
        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        return e.getMessage();
    }

    // ---- parsing and normalisation ----

    static Stream<Arguments> valid() {
        return Stream.of(
                // input, registry, repository, tag (or null), digest (or null), toString
                Arguments.of("busybox", "docker.io", "library/busybox", "latest", null, "docker.io/library/busybox:latest"),
                Arguments.of("busybox:1.36", "docker.io", "library/busybox", "1.36", null, "docker.io/library/busybox:1.36"),
                Arguments.of("library/busybox", "docker.io", "library/busybox", "latest", null, "docker.io/library/busybox:latest"),
                Arguments.of("docker.io/busybox", "docker.io", "library/busybox", "latest", null, "docker.io/library/busybox:latest"),
                Arguments.of("index.docker.io/busybox", "docker.io", "library/busybox", "latest", null, "docker.io/library/busybox:latest"),
                Arguments.of("index.docker.io/bitnami/redis:7", "docker.io", "bitnami/redis", "7", null, "docker.io/bitnami/redis:7"),
                Arguments.of("registry-1.docker.io/library/busybox", "registry-1.docker.io", "library/busybox", "latest", null,
                        "registry-1.docker.io/library/busybox:latest"),
                Arguments.of("bitnami/redis", "docker.io", "bitnami/redis", "latest", null, "docker.io/bitnami/redis:latest"),
                Arguments.of("a/b/c/d", "docker.io", "a/b/c/d", "latest", null, "docker.io/a/b/c/d:latest"),
                Arguments.of("registry.k8s.io/pause:3.9", "registry.k8s.io", "pause", "3.9", null, "registry.k8s.io/pause:3.9"),
                Arguments.of("quay.io/coreos/etcd:v3.5.0", "quay.io", "coreos/etcd", "v3.5.0", null, "quay.io/coreos/etcd:v3.5.0"),
                Arguments.of("localhost/app", "localhost", "app", "latest", null, "localhost/app:latest"),
                Arguments.of("localhost:5000/app:dev", "localhost:5000", "app", "dev", null, "localhost:5000/app:dev"),
                Arguments.of("myhost:5000/team/app", "myhost:5000", "team/app", "latest", null, "myhost:5000/team/app:latest"),
                Arguments.of("10.0.0.1:5000/app", "10.0.0.1:5000", "app", "latest", null, "10.0.0.1:5000/app:latest"),
                Arguments.of("[::1]:5000/app:v1", "[::1]:5000", "app", "v1", null, "[::1]:5000/app:v1"),
                Arguments.of("[fe80::1]/app", "[fe80::1]", "app", "latest", null, "[fe80::1]/app:latest"),
                Arguments.of("[2001:db8:0:0:0:0:0:1]:443/app", "[2001:db8:0:0:0:0:0:1]:443", "app", "latest", null,
                        "[2001:db8:0:0:0:0:0:1]:443/app:latest"),
                Arguments.of("Example.COM/app", "Example.COM", "app", "latest", null, "Example.COM/app:latest"),
                Arguments.of("localhost", "docker.io", "library/localhost", "latest", null, "docker.io/library/localhost:latest"),
                Arguments.of("localhost:5000", "docker.io", "library/localhost", "5000", null, "docker.io/library/localhost:5000"),
                Arguments.of("busybox@" + SHA256, "docker.io", "library/busybox", null, SHA256, "docker.io/library/busybox@" + SHA256),
                Arguments.of("busybox:1.36@" + SHA256, "docker.io", "library/busybox", "1.36", SHA256,
                        "docker.io/library/busybox:1.36@" + SHA256),
                Arguments.of("quay.io/a/b@" + SHA512, "quay.io", "a/b", null, SHA512, "quay.io/a/b@" + SHA512),
                Arguments.of("localhost:5000/app@" + SHA256_B, "localhost:5000", "app", null, SHA256_B, "localhost:5000/app@" + SHA256_B),
                Arguments.of("example.com/a.b_c__d-e---f/x", "example.com", "a.b_c__d-e---f/x", "latest", null,
                        "example.com/a.b_c__d-e---f/x:latest"),
                Arguments.of("app:_under.dash-ok", "docker.io", "library/app", "_under.dash-ok", null, "docker.io/library/app:_under.dash-ok"),
                Arguments.of("app:" + "t".repeat(128), "docker.io", "library/app", "t".repeat(128), null,
                        "docker.io/library/app:" + "t".repeat(128)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void parsesAndNormalises(String input, String registry, String repository, String tag, String digest, String full) {
        ImageReference ref = ImageReference.parse(input);

        assertEquals(registry, ref.registry());
        assertEquals(repository, ref.repository());
        assertEquals(Optional.ofNullable(tag), ref.tag());
        assertEquals(Optional.ofNullable(digest), ref.digest());
        assertEquals(full, ref.toString());
        assertEquals(registry + "/" + repository, ref.name());
        assertEquals(digest != null ? digest : tag, ref.reference());
        assertEquals(digest != null, ref.isDigested());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void toStringParsesBackToTheSameReference(String input) {
        ImageReference ref = ImageReference.parse(input);

        assertEquals(ref, ImageReference.parse(ref.toString()));
    }

    @Test
    void spellingsOfOneDockerHubImageAreEqual() {
        ImageReference expected = ImageReference.parse("docker.io/library/busybox:latest");

        for (String spelling : new String[] {"busybox", "busybox:latest", "library/busybox", "docker.io/busybox",
                "index.docker.io/library/busybox:latest"}) {
            assertEquals(expected, ImageReference.parse(spelling), spelling);
        }
    }

    @Test
    void theConstructorNormalisesLikeParse() {
        ImageReference built = new ImageReference("index.docker.io", "busybox", Optional.of("1.36"), Optional.empty());

        assertEquals(ImageReference.parse("busybox:1.36"), built);
        assertEquals("docker.io/library/busybox:1.36", built.toString());
    }

    @Test
    void theConstructorValidates() {
        BackendException e = assertThrows(BackendException.class,
                () -> new ImageReference("quay.io", "Team/App", Optional.of("v1"), Optional.empty()));

        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertEquals("image \"quay.io/Team/App:v1\": repository must be lower case", e.getMessage());
    }

    @Test
    void theConstructorNeedsATagOrADigest() {
        BackendException e = assertThrows(BackendException.class,
                () -> new ImageReference("quay.io", "app", Optional.empty(), Optional.empty()));

        assertEquals("image \"quay.io/app\": needs a tag or a digest", e.getMessage());
    }

    @Test
    void theConstructorRefusesNulls() {
        assertThrows(NullPointerException.class, () -> new ImageReference(null, "app", Optional.of("v1"), Optional.empty()));
        assertThrows(NullPointerException.class, () -> new ImageReference("quay.io", "app", null, Optional.empty()));
        assertThrows(NullPointerException.class, () -> ImageReference.parse(null));
    }

    // ---- derived references ----

    @Test
    void withDigestKeepsTheTagAndFetchesByDigest() {
        ImageReference ref = ImageReference.parse("quay.io/app:v1").withDigest(SHA256);

        assertEquals("quay.io/app:v1@" + SHA256, ref.toString());
        assertEquals(SHA256, ref.reference());
        assertTrue(ref.isDigested());
    }

    @Test
    void withDigestValidatesTheDigest() {
        ImageReference ref = ImageReference.parse("quay.io/app:v1");

        BackendException e = assertThrows(BackendException.class, () -> ref.withDigest("sha256:abc"));
        assertEquals("digest \"sha256:abc\" is invalid: expected sha256: and 64 lower-case hex digits, or sha512: and 128", e.getMessage());
    }

    @Test
    void withoutTagGivesTheRepoDigestForm() {
        ImageReference ref = ImageReference.parse("busybox:1.36@" + SHA256).withoutTag();

        assertEquals("docker.io/library/busybox@" + SHA256, ref.toString());
        assertEquals(Optional.empty(), ref.tag());
    }

    @Test
    void withoutTagNeedsADigest() {
        ImageReference ref = ImageReference.parse("busybox:1.36");

        IllegalStateException e = assertThrows(IllegalStateException.class, ref::withoutTag);
        assertTrue(e.getMessage().contains("\"docker.io/library/busybox:1.36\""), e.getMessage());
    }

    @Test
    void referenceIsTheTagWithoutDigest() {
        assertEquals("latest", ImageReference.parse("busybox").reference());
        assertFalse(ImageReference.parse("busybox").isDigested());
    }

    @Test
    void referencesDifferingOnlyInTagAreNotEqual() {
        assertNotEquals(ImageReference.parse("busybox:1"), ImageReference.parse("busybox:2"));
    }

    // ---- digests on their own ----

    @ParameterizedTest
    @ValueSource(strings = {"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "sha512:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"})
    void requireDigestAcceptsSha256AndSha512(String digest) {
        assertEquals(digest, ImageReference.requireDigest(digest));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "sha256:", "sha256:abc", "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "sha384:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "sha512:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            " sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    void requireDigestRefusesOtherText(String digest) {
        BackendException e = assertThrows(BackendException.class, () -> ImageReference.requireDigest(digest));

        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().startsWith("digest \"" + digest + "\" is invalid"), e.getMessage());
    }

    // ---- refusals ----

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "``                         | image \"\": image name is empty",
            "Foo/Bar                    | image \"Foo/Bar\": repository must be lower case",
            "BusyBox                    | image \"BusyBox\": repository must be lower case",
            "quay.io/Team/app           | image \"quay.io/Team/app\": repository must be lower case",
            "`busy box`                 | image \"busy box\": must not contain spaces or control characters",
            "` busybox`                 | image \" busybox\": must not contain spaces or control characters",
            "`busybox\t`                | image \"busybox\\t\": must not contain spaces or control characters",
            ":latest                    | image \":latest\": repository name is missing",
            "quay.io/                   | image \"quay.io/\": repository name is missing",
            "quay.io/a//b               | image \"quay.io/a//b\": repository \"a//b\" has an empty path component",
            "quay.io/app/               | image \"quay.io/app/\": repository \"app/\" has an empty path component",
            "quay.io/-app               | image \"quay.io/-app\": repository path component \"-app\" is invalid: lower-case letters and digits, separated by '.', '_', '__' or dashes",
            "quay.io/a..b               | image \"quay.io/a..b\": repository path component \"a..b\" is invalid: lower-case letters and digits, separated by '.', '_', '__' or dashes",
            "quay.io/a___b              | image \"quay.io/a___b\": repository path component \"a___b\" is invalid: lower-case letters and digits, separated by '.', '_', '__' or dashes",
            "quay.io/app_               | image \"quay.io/app_\": repository path component \"app_\" is invalid: lower-case letters and digits, separated by '.', '_', '__' or dashes",
            "quay.io/app:               | image \"quay.io/app:\": tag \"\" is invalid: 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
            "quay.io/app:.hidden        | image \"quay.io/app:.hidden\": tag \".hidden\" is invalid: 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
            "quay.io/app:-x             | image \"quay.io/app:-x\": tag \"-x\" is invalid: 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
            "quay.io/app:a+b            | image \"quay.io/app:a+b\": tag \"a+b\" is invalid: 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
            "quay.io/app@               | image \"quay.io/app@\": digest \"\" is invalid: expected sha256: and 64 lower-case hex digits, or sha512: and 128",
            "quay.io/app@sha256:abc     | image \"quay.io/app@sha256:abc\": digest \"sha256:abc\" is invalid: expected sha256: and 64 lower-case hex digits, or sha512: and 128",
            "quay.io/app@md5:abc        | image \"quay.io/app@md5:abc\": digest \"md5:abc\" is invalid: expected sha256: and 64 lower-case hex digits, or sha512: and 128",
            "my_host.io/app             | image \"my_host.io/app\": registry \"my_host.io\" is not host[:port] (a DNS name, an IPv4 address or a bracketed IPv6 address; a port from 1 to 65535)",
            "-bad.io/app                | image \"-bad.io/app\": registry \"-bad.io\" is not host[:port] (a DNS name, an IPv4 address or a bracketed IPv6 address; a port from 1 to 65535)",
            "host.io:0/app              | image \"host.io:0/app\": registry \"host.io:0\" is not host[:port] (a DNS name, an IPv4 address or a bracketed IPv6 address; a port from 1 to 65535)",
            "host.io:65536/app          | image \"host.io:65536/app\": registry \"host.io:65536\" is not host[:port] (a DNS name, an IPv4 address or a bracketed IPv6 address; a port from 1 to 65535)",
            "host.io:http/app           | image \"host.io:http/app\": registry \"host.io:http\" is not host[:port] (a DNS name, an IPv4 address or a bracketed IPv6 address; a port from 1 to 65535)",
            "[::1/app                   | image \"[::1/app\": registry \"[::1\" is not host[:port] (a DNS name, an IPv4 address or a bracketed IPv6 address; a port from 1 to 65535)",
            "[1:2:3]/app                | image \"[1:2:3]/app\": registry \"[1:2:3]\" is not host[:port] (a DNS name, an IPv4 address or a bracketed IPv6 address; a port from 1 to 65535)",
            "[::1::2]/app               | image \"[::1::2]/app\": registry \"[::1::2]\" is not host[:port] (a DNS name, an IPv4 address or a bracketed IPv6 address; a port from 1 to 65535)",
            "[::g]/app                  | image \"[::g]/app\": registry \"[::g]\" is not host[:port] (a DNS name, an IPv4 address or a bracketed IPv6 address; a port from 1 to 65535)",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | image \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": this is an image ID, not a name; a name is [registry/]repository[:tag][@digest]",
    })
    void refusesWithAMessageQuotingTheInput(String input, String message) {
        assertEquals(message, refuse(input));
    }

    @Test
    void refusesAnImageIdWithItsAlgorithm() {
        assertTrue(refuse(SHA256).contains("this is an image ID, not a name"));
    }

    @Test
    void aPercentSignInTheInputIsQuotedNotFormatted() {
        assertEquals("image \"quay.io/a%sb\": repository path component \"a%sb\" is invalid: lower-case letters and digits,"
                + " separated by '.', '_', '__' or dashes", refuse("quay.io/a%sb"));
    }

    @Test
    void quotesAndControlCharactersAreEscapedInMessages() {
        assertEquals("image \"a\\\"b\\u0000\": must not contain spaces or control characters", refuse("a\"b\u0000"));
    }

    @Test
    void nameOfExactly255CharactersIsAccepted() {
        String repository = "a".repeat(255 - "quay.io/".length());

        ImageReference ref = ImageReference.parse("quay.io/" + repository);

        assertEquals(255, ref.name().length());
    }

    @Test
    void nameLongerThan255CharactersIsRefused() {
        String repository = "a".repeat(256 - "quay.io/".length());

        String message = refuse("quay.io/" + repository);

        assertTrue(message.endsWith(": name is 256 characters long; at most 255 are allowed"), message);
    }

    @Test
    void theLengthLimitCountsTheNormalisedName() {
        // 240 characters as written, 258 once docker.io/library/ is added.
        String message = refuse("a".repeat(240));

        assertTrue(message.endsWith(": name is 258 characters long; at most 255 are allowed"), message);
    }

    @Test
    void tagOf129CharactersIsRefused() {
        assertTrue(refuse("app:" + "t".repeat(129)).contains("is invalid: 1 to 128 letters"));
    }

    @Test
    void veryLongInputIsShortenedInTheMessage() {
        String input = "A".repeat(10_000);

        String message = refuse(input);

        assertTrue(message.startsWith("image \"" + "A".repeat(300) + "...\" (10000 characters): "), message.substring(0, 320));
        assertTrue(message.length() < 1_000, "message length " + message.length());
    }

    @Test
    void aFailingMatchDoesNotBacktrackForever() {
        // With the grammar's literal [-]* separator this input takes exponential time to refuse.
        String input = "quay.io/" + "a".repeat(200) + "!";

        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> refuse(input));
    }
}
