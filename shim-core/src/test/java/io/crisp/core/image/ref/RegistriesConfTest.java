package io.crisp.core.image.ref;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.config.ConfigException;
import io.crisp.core.image.ref.RegistriesConf.Endpoint;
import io.crisp.core.image.ref.RegistriesConf.MirrorUse;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

final class RegistriesConfTest {
    private static final String DIGEST = "sha256:" + "c".repeat(64);

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("registries.conf");
    }

    private RegistriesConf load(String toml) throws IOException {
        Files.writeString(file(), toml);
        return RegistriesConf.load(file());
    }

    /** Writes the file and returns the message of the ConfigException loading it throws. */
    private String fail(String toml) throws IOException {
        Files.writeString(file(), toml);
        return assertThrows(ConfigException.class, () -> RegistriesConf.load(file())).getMessage();
    }

    private static ImageReference ref(String text) {
        return ImageReference.parse(text);
    }

    private static Endpoint direct(String host, String repository) {
        return new Endpoint(host, repository, false, false);
    }

    // ---- no configuration ----

    @Test
    void emptyMeansEveryImageFromItsOwnRegistryOverHttps() {
        RegistriesConf conf = RegistriesConf.empty();

        assertEquals(List.of(direct("quay.io", "team/app")), conf.endpoints(ref("quay.io/team/app:v1")));
        assertEquals(List.of(direct("localhost:5000", "app")), conf.endpoints(ref("localhost:5000/app")));
        assertFalse(conf.blocked(ref("quay.io/team/app")));
        assertEquals(Optional.empty(), conf.file());
        assertEquals(List.of(), conf.registries());
    }

    @Test
    void dockerHubIsReachedAtItsApiHost() {
        assertEquals(List.of(direct("registry-1.docker.io", "library/busybox")), RegistriesConf.empty().endpoints(ref("busybox")));
        assertEquals(List.of(direct("registry-1.docker.io", "bitnami/redis")), RegistriesConf.empty().endpoints(ref("bitnami/redis:7")));
    }

    @Test
    void anEmptyFileIsAnEmptyConfiguration() throws IOException {
        RegistriesConf conf = load("# nothing configured\n");

        assertEquals(List.of(direct("quay.io", "app")), conf.endpoints(ref("quay.io/app")));
        assertEquals(Optional.of(file()), conf.file());
    }

    @Test
    void aMissingFileIsAnErrorForLoadButEmptyForLoadIfExists() {
        Path absent = dir.resolve("absent.conf");

        ConfigException e = assertThrows(ConfigException.class, () -> RegistriesConf.load(absent));
        assertEquals(absent + ": registries configuration file not found", e.getMessage());
        assertEquals(List.of(), RegistriesConf.loadIfExists(absent).registries());
    }

    @Test
    void entriesThatDoNotMatchLeaveTheImageAlone() throws IOException {
        RegistriesConf conf = load("""
                [[registry]]
                location = "example.com"
                insecure = true
                """);

        assertEquals(List.of(direct("quay.io", "app")), conf.endpoints(ref("quay.io/app")));
    }

    // ---- choosing the table ----

    @Test
    void theLongestMatchingPrefixWins() throws IOException {
        RegistriesConf conf = load("""
                [[registry]]
                prefix = "example.com"
                location = "short.example.net"

                [[registry]]
                prefix = "example.com/foo/bar"
                location = "longest.example.net"

                [[registry]]
                prefix = "example.com/foo"
                location = "middle.example.net"
                """);

        assertEquals("example.com/foo/bar", conf.find(ref("example.com/foo/bar/baz")).orElseThrow().prefix());
        assertEquals("example.com/foo", conf.find(ref("example.com/foo/other")).orElseThrow().prefix());
        assertEquals("example.com", conf.find(ref("example.com/else")).orElseThrow().prefix());
        assertEquals(List.of(direct("longest.example.net", "baz")), conf.endpoints(ref("example.com/foo/bar/baz")));
        assertEquals(List.of(direct("middle.example.net", "other")), conf.endpoints(ref("example.com/foo/other")));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "example.com/foo, true",
            "example.com/foo/bar, true",
            "example.com/foo/bar/baz:v1, true",
            "example.com/foobar, false",
            "example.com/fo, false",
            "example.com/other/foo, false",
            "example.com:5000/foo, false",
            "sub.example.com/foo, false",
    })
    void aPrefixMatchesAtPathBoundariesOnly(String image, boolean matches) throws IOException {
        RegistriesConf conf = load("""
                [[registry]]
                prefix = "example.com/foo"
                location = "mirror.example.net/foo"
                """);

        assertEquals(matches, conf.find(ref(image)).isPresent());
    }

    @Test
    void aHostPrefixDoesNotMatchTheSameHostOnAnotherPort() throws IOException {
        RegistriesConf conf = load("""
                [[registry]]
                location = "example.com"
                blocked = true
                """);

        assertTrue(conf.blocked(ref("example.com/app")));
        assertFalse(conf.blocked(ref("example.com:5000/app")));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "a.example.com/app, true",
            "a.b.example.com/app, true",
            "A.Example.com/app, true",
            "a.example.com:5000/app, true",
            "example.com/app, false",
            "badexample.com/app, false",
            "a.example.com.evil.net/app, false",
            "quay.io/a.example.com, false",
    })
    void aWildcardPrefixMatchesSubdomains(String image, boolean matches) throws IOException {
        RegistriesConf conf = load("""
                [[registry]]
                prefix = "*.example.com"
                blocked = true
                """);

        assertEquals(matches, conf.blocked(ref(image)));
    }

    @Test
    void aWildcardWithoutLocationKeepsTheImagesOwnRegistryAndAddsMirrors() throws IOException {
        RegistriesConf conf = load("""
                [[registry]]
                prefix = "*.example.com"
                insecure = true

                [[registry.mirror]]
                location = "mirror.local/cache"
                """);

        assertEquals(List.of(new Endpoint("mirror.local", "cache/team/app", false, true),
                        new Endpoint("a.example.com:5000", "team/app", true, false)),
                conf.endpoints(ref("a.example.com:5000/team/app:v1")));
    }

    @Test
    void aWildcardWithLocationReplacesTheWholeRegistry() throws IOException {
        RegistriesConf conf = load("""
                [[registry]]
                prefix = "*.example.com"
                location = "proxy.local/hosts"
                """);

        assertEquals(List.of(direct("proxy.local", "hosts/team/app")), conf.endpoints(ref("a.example.com:5000/team/app")));
    }

    @Test
    void aLongerWildcardBeatsAShorterOneAndAnExactHostBeatsAWildcardOfTheSameLength() throws IOException {
        RegistriesConf conf = load("""
                [[registry]]
                prefix = "*.example.com"
                location = "one.local"

                [[registry]]
                prefix = "*.b.example.com"
                location = "two.local"

                [[registry]]
                prefix = "a.b.example.com"
                location = "three.local"
                """);

        assertEquals("*.example.com", conf.find(ref("x.example.com/app")).orElseThrow().prefix());
        assertEquals("*.b.example.com", conf.find(ref("x.b.example.com/app")).orElseThrow().prefix());
        assertEquals("a.b.example.com", conf.find(ref("a.b.example.com/app")).orElseThrow().prefix());
    }

    @Test
    void aPrefixDefaultsToTheLocation() throws IOException {
        RegistriesConf conf = load("""
                [[registry]]
                location = "registry.example.com/team/"
                insecure = true
                """);

        RegistriesConf.Registry registry = conf.registries().get(0);
        assertEquals("registry.example.com/team", registry.prefix());
        assertEquals(Optional.of("registry.example.com/team"), registry.location());
        assertEquals(List.of(new Endpoint("registry.example.com", "team/app", true, false)),
                conf.endpoints(ref("registry.example.com/team/app")));
    }

    @Test
    void theFirstOfTwoEqualPrefixesWins() throws IOException {
        RegistriesConf conf = load("""
                [[registry]]
                prefix = "example.com"
                location = "first.local"

                [[registry]]
                prefix = "example.com"
                location = "second.local"
                """);

        assertEquals(List.of(direct("first.local", "app")), conf.endpoints(ref("example.com/app")));
    }

    // ---- mirrors and rewriting ----

    @Test
    void mirrorsComeFirstInFileOrderThenTheLocationWithPrefixesRewritten() throws IOException {
        RegistriesConf conf = load("""
                unqualified-search-registries = ["example.com"]

                [[registry]]
                prefix = "example.com/foo"
                insecure = false
                blocked = false
                location = "internal-registry-for-example.com/bar"

                [[registry.mirror]]
                location = "example-mirror-0.local/mirror-for-foo"

                [[registry.mirror]]
                location = "example-mirror-1.local/mirrors/foo"
                insecure = true
                """);

        assertEquals(List.of(
                        new Endpoint("example-mirror-0.local", "mirror-for-foo/image", false, true),
                        new Endpoint("example-mirror-1.local", "mirrors/foo/image", true, true),
                        new Endpoint("internal-registry-for-example.com", "bar/image", false, false)),
                conf.endpoints(ref("example.com/foo/image:latest")));
        assertEquals(List.of("example.com"), conf.unqualifiedSearchRegistries());
    }

    @Test
    void dockerHubMirrorRewritesIntoThePath() throws IOException {
        RegistriesConf conf = load("""
                [[registry]]
                prefix = "docker.io"
                location = "docker.io"

                [[registry.mirror]]
                location = "localhost:5000/mirror"
                insecure = true
                """);

        assertEquals(List.of(new Endpoint("localhost:5000", "mirror/library/busybox", true, true),
                        direct("registry-1.docker.io", "library/busybox")),
                conf.endpoints(ref("busybox")));
    }

    @Test
    void dockerHubAsALocationIsReachedAtItsApiHost() throws IOException {
        RegistriesConf conf = load("""
                [[registry]]
                prefix = "mirror.local/hub"
                location = "index.docker.io"
                """);

        assertEquals(List.of(direct("registry-1.docker.io", "library/busybox")), conf.endpoints(ref("mirror.local/hub/busybox")));
        assertEquals(List.of(direct("registry-1.docker.io", "team/app")), conf.endpoints(ref("mirror.local/hub/team/app")));
    }

    @Test
    void aPrefixCoveringTheWholeNameNeedsALocationWithARepository() throws IOException {
        RegistriesConf conf = load("""
                [[registry]]
                prefix = "example.com/app"
                location = "other.example.com/moved/app"

                [[registry]]
                prefix = "example.com/broken"
                location = "other.example.com"
                """);

        assertEquals(List.of(direct("other.example.com", "moved/app")), conf.endpoints(ref("example.com/app:v2")));
        BackendException e = assertThrows(BackendException.class, () -> conf.endpoints(ref("example.com/broken:v2")));
        assertEquals(BackendException.Kind.FAILED_PRECONDITION, e.kind());
        assertEquals("image \"example.com/broken:v2\": [[registry]] #2 (prefix \"example.com/broken\") in " + file()
                + " rewrites it to \"other.example.com\", which names no repository", e.getMessage());
    }

    @Test
    void mirrorByDigestOnlyUsesMirrorsForDigestPullsOnly() throws IOException {
        RegistriesConf conf = load("""
                [[registry]]
                location = "quay.io"
                mirror-by-digest-only = true

                [[registry.mirror]]
                location = "mirror.local"
                """);

        assertEquals(List.of(direct("quay.io", "app")), conf.endpoints(ref("quay.io/app:v1")));
        assertEquals(List.of(new Endpoint("mirror.local", "app", false, true), direct("quay.io", "app")),
                conf.endpoints(ref("quay.io/app@" + DIGEST)));
        assertEquals(2, conf.endpoints(ref("quay.io/app:v1@" + DIGEST)).size());
    }

    @Test
    void pullFromMirrorRestrictsEachMirror() throws IOException {
        RegistriesConf conf = load("""
                [[registry]]
                location = "quay.io"

                [[registry.mirror]]
                location = "digests.local"
                pull-from-mirror = "digest-only"

                [[registry.mirror]]
                location = "tags.local"
                pull-from-mirror = "tag-only"

                [[registry.mirror]]
                location = "all.local"
                pull-from-mirror = "all"
                """);

        assertEquals(List.of("tags.local", "all.local", "quay.io"),
                conf.endpoints(ref("quay.io/app:v1")).stream().map(Endpoint::host).toList());
        assertEquals(List.of("digests.local", "all.local", "quay.io"),
                conf.endpoints(ref("quay.io/app@" + DIGEST)).stream().map(Endpoint::host).toList());
        assertEquals(List.of(MirrorUse.DIGEST_ONLY, MirrorUse.TAG_ONLY, MirrorUse.ALL),
                conf.registries().get(0).mirrors().stream().map(RegistriesConf.Mirror::use).toList());
    }

    @Test
    void insecureIsPerEndpoint() throws IOException {
        RegistriesConf conf = load("""
                [[registry]]
                location = "registry.local:5000"
                insecure = true

                [[registry.mirror]]
                location = "secure-mirror.local"
                """);

        List<Endpoint> endpoints = conf.endpoints(ref("registry.local:5000/app"));
        assertEquals(List.of(false, true), endpoints.stream().map(Endpoint::insecure).toList());
        assertEquals(List.of(true, false), endpoints.stream().map(Endpoint::mirror).toList());
    }

    // ---- blocking ----

    @Test
    void blockedRegistriesAreRefusedNamingTheFile() throws IOException {
        RegistriesConf conf = load("""
                [[registry]]
                location = "quay.io"

                [[registry]]
                prefix = "docker.io/evil"
                location = "docker.io/evil"
                blocked = true
                """);

        assertTrue(conf.blocked(ref("docker.io/evil/app")));
        assertFalse(conf.blocked(ref("docker.io/good/app")));
        assertFalse(conf.blocked(ref("quay.io/app")));
        BackendException e = assertThrows(BackendException.class, () -> conf.checkNotBlocked(ref("docker.io/evil/app")));
        assertEquals(BackendException.Kind.FAILED_PRECONDITION, e.kind());
        assertEquals("image \"docker.io/evil/app:latest\": registry docker.io/evil is blocked by " + file()
                + " ([[registry]] #2 (prefix \"docker.io/evil\"))", e.getMessage());
        BackendException fromEndpoints = assertThrows(BackendException.class, () -> conf.endpoints(ref("docker.io/evil/app")));
        assertEquals(e.getMessage(), fromEndpoints.getMessage());
    }

    @Test
    void aMoreSpecificUnblockedPrefixOverridesABlockedRegistry() throws IOException {
        RegistriesConf conf = load("""
                [[registry]]
                prefix = "quay.io"
                location = "quay.io"
                blocked = true

                [[registry]]
                prefix = "quay.io/trusted"
                location = "quay.io/trusted"
                """);

        assertTrue(conf.blocked(ref("quay.io/other/app")));
        assertFalse(conf.blocked(ref("quay.io/trusted/app")));
    }

    // ---- keys crisp ignores ----

    @Test
    void shortNameKeysAndCredentialHelpersAreIgnored() throws IOException {
        RegistriesConf conf = load("""
                unqualified-search-registries = ["registry.fedoraproject.org", "docker.io"]
                short-name-mode = "enforcing"
                credential-helpers = ["containers-auth.json"]
                additional-layer-store-auth-helper = "helper"

                [aliases]
                "fedora" = "registry.fedoraproject.org/fedora"
                """);

        assertEquals(List.of("registry.fedoraproject.org", "docker.io"), conf.unqualifiedSearchRegistries());
        assertEquals(List.of(), conf.registries());
    }

    // ---- refusals ----

    @Test
    void anUnknownTopLevelKeyIsRefusedNamingFileAndKey() throws IOException {
        assertEquals(file() + ": top level: unknown key 'unqualified-search-registry' (known keys: registry,"
                        + " unqualified-search-registries, short-name-mode, aliases, credential-helpers, additional-layer-store-auth-helper)",
                fail("unqualified-search-registry = [\"docker.io\"]\n"));
    }

    @Test
    void anUnknownRegistryKeyIsRefusedNamingFileTableAndKey() throws IOException {
        assertEquals(file() + ": [[registry]] #2 (prefix \"quay.io\"): unknown key 'block' (known keys: prefix, location,"
                        + " insecure, blocked, mirror-by-digest-only, mirror)",
                fail("""
                        [[registry]]
                        location = "docker.io"

                        [[registry]]
                        location = "quay.io"
                        block = true
                        """));
    }

    @Test
    void anUnknownMirrorKeyIsRefusedNamingTheMirror() throws IOException {
        assertEquals(file() + ": [[registry]] #1 (prefix \"docker.io\"), [[registry.mirror]] #2: unknown key 'url'"
                        + " (known keys: location, insecure, pull-from-mirror)",
                fail("""
                        [[registry]]
                        prefix = "docker.io"
                        location = "docker.io"
                        [[registry.mirror]]
                        location = "m1.local"
                        [[registry.mirror]]
                        url = "m2.local"
                        """));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "insecure = \"yes\"                  | [[registry]] #1 (prefix \"quay.io\"): key 'insecure': expected true or false, got \"yes\"",
            "blocked = 1                        | [[registry]] #1 (prefix \"quay.io\"): key 'blocked': expected true or false, got 1",
            "mirror-by-digest-only = \"true\"    | [[registry]] #1 (prefix \"quay.io\"): key 'mirror-by-digest-only': expected true or false, got \"true\"",
            "pull-from-mirror = \"all\"          | [[registry]] #1 (prefix \"quay.io\"): key 'pull-from-mirror' belongs in [[registry.mirror]] tables, not in [[registry]]",
            "prefix = 5                         | [[registry]] #1: key 'prefix': expected a string, got 5",
    })
    void wrongRegistryValuesAreRefused(String line, String message) throws IOException {
        assertEquals(file() + ": " + message, fail("[[registry]]\nlocation = \"quay.io\"\n" + line + "\n"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "location = \"https://quay.io\"     | key 'location': \"https://quay.io\" has a URI scheme; write host[:port][/path], without http:// or https://",
            "location = \"quay.io/app:v1\"      | key 'location': \"quay.io/app:v1\" has a tag or digest; crisp supports only host[:port][/path] here",
            "location = \"quay_io/app\"         | key 'location': \"quay_io/app\" does not start with a registry host[:port]",
            "location = \"quay.io/App\"         | key 'location': \"quay.io/App\" has an invalid repository path \"App\" (lower-case letters and digits, separated by '.', '_', '__' or dashes, and '/')",
            "prefix = \"example.*.com\"         | key 'prefix': \"example.*.com\": a wildcard is only allowed as a leading '*.' (*.example.com)",
            "prefix = \"*.example.com/foo\"     | key 'prefix': \"*.example.com/foo\" is not a valid wildcard: write *.domain, with no port, path or other '*'",
            "prefix = \"*.example.com:5000\"    | key 'prefix': \"*.example.com:5000\" is not a valid wildcard: write *.domain, with no port, path or other '*'",
            "prefix = \"quay.io/app@sha256:00\" | key 'prefix': \"quay.io/app@sha256:00\" has a tag or digest; crisp supports only host[:port][/path] here",
    })
    void wrongNamesAreRefused(String line, String message) throws IOException {
        String message0 = fail("[[registry]]\n" + line + "\n" + (line.startsWith("prefix") ? "location = \"mirror.local\"\n" : ""));
        assertTrue(message0.startsWith(file() + ": [[registry]] #1 (prefix "), message0);
        assertTrue(message0.endsWith(": " + message), message0);
    }

    @Test
    void aTableWithNeitherPrefixNorLocationIsRefused() throws IOException {
        assertEquals(file() + ": [[registry]] #1: set 'location' (and optionally 'prefix'): the table applies to nothing",
                fail("[[registry]]\ninsecure = true\n"));
    }

    @Test
    void aPlainPrefixWithoutLocationIsRefused() throws IOException {
        assertEquals(file() + ": [[registry]] #1 (prefix \"docker.io\"): key 'location' is missing; only a wildcard prefix"
                        + " (*.example.com) may go without one",
                fail("[[registry]]\nprefix = \"docker.io\"\n[[registry.mirror]]\nlocation = \"mirror.local\"\n"));
    }

    @Test
    void aMirrorWithoutLocationIsRefused() throws IOException {
        assertEquals(file() + ": [[registry]] #1 (prefix \"quay.io\"), [[registry.mirror]] #1: key 'location' is missing",
                fail("[[registry]]\nlocation = \"quay.io\"\n[[registry.mirror]]\ninsecure = true\n"));
    }

    @Test
    void anUnknownPullFromMirrorValueIsRefused() throws IOException {
        assertEquals(file() + ": [[registry]] #1 (prefix \"quay.io\"), [[registry.mirror]] #1: key 'pull-from-mirror':"
                        + " expected one of all, digest-only, tag-only, got \"digests\"",
                fail("[[registry]]\nlocation = \"quay.io\"\n[[registry.mirror]]\nlocation = \"m.local\"\npull-from-mirror = \"digests\"\n"));
    }

    @Test
    void pullFromMirrorAndMirrorByDigestOnlyTogetherAreRefused() throws IOException {
        String message = fail("""
                [[registry]]
                location = "quay.io"
                mirror-by-digest-only = true
                [[registry.mirror]]
                location = "m.local"
                pull-from-mirror = "tag-only"
                """);

        assertTrue(message.startsWith(file() + ": [[registry]] #1 (prefix \"quay.io\"), [[registry.mirror]] #1: key 'pull-from-mirror'"
                + " cannot be combined with 'mirror-by-digest-only = true'"), message);
    }

    @Test
    void tablesForOneLocationMustAgreeOnInsecureAndBlocked() throws IOException {
        assertEquals(file() + ": [[registry]] #1 and #2 both use location \"quay.io\" but disagree on 'insecure' (false and true)",
                fail("""
                        [[registry]]
                        prefix = "quay.io/a"
                        location = "quay.io"
                        [[registry]]
                        prefix = "quay.io/b"
                        location = "quay.io"
                        insecure = true
                        """));
    }

    @Test
    void theVersion1FormatIsRefusedWithAPointerToVersion2() throws IOException {
        String message = fail("[registries.search]\nregistries = ['docker.io']\n");

        assertTrue(message.startsWith(file() + ": table [registries...] is the deprecated version 1 format"), message);
    }

    @Test
    void aSingleRegistryTableInsteadOfAnArrayIsRefused() throws IOException {
        assertEquals(file() + ": 'registry' must be an array of tables: write [[registry]], not [registry]",
                fail("[registry]\nlocation = \"quay.io\"\n"));
    }

    @Test
    void anInvalidSearchRegistryIsRefused() throws IOException {
        assertEquals(file() + ": top level key 'unqualified-search-registries': \"quay.io/team\" is not host[:port]",
                fail("unqualified-search-registries = [\"quay.io/team\"]\n"));
    }

    @Test
    void invalidTomlNamesTheFile() throws IOException {
        String message = fail("[[registry]\nlocation = \"quay.io\"\n");

        assertTrue(message.startsWith(file() + ": not valid TOML: "), message);
    }
}
