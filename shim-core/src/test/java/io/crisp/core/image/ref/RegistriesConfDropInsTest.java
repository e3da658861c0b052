package io.crisp.core.image.ref;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.config.ConfigException;
import io.crisp.core.image.ref.RegistriesConf.Endpoint;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class RegistriesConfDropInsTest {
    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("registries.conf");
    }

    private Path dropIn(String name, String toml) throws IOException {
        Path d = dir.resolve("registries.conf.d");
        Files.createDirectories(d);
        return Files.writeString(d.resolve(name), toml);
    }

    private static ImageReference ref(String text) {
        return ImageReference.parse(text);
    }

    private static List<String> hosts(RegistriesConf conf, String image) {
        return conf.endpoints(ref(image)).stream().map(Endpoint::host).toList();
    }

    @Test
    void withoutADirectoryOnlyTheMainFileCounts() throws IOException {
        Files.writeString(file(), "[[registry]]\nprefix = \"quay.io\"\nlocation = \"mirror.example\"\n");
        RegistriesConf conf = RegistriesConf.loadWithDropIns(file());
        assertEquals(List.of("mirror.example"), hosts(conf, "quay.io/team/app:v1"));
        assertEquals(List.of(), RegistriesConf.loadWithDropIns(dir.resolve("absent.conf")).registries());
    }

    @Test
    void aDropInTableWithTheSamePrefixReplacesTheMainOneAndNewPrefixesAreAdded() throws IOException {
        Files.writeString(file(), """
                unqualified-search-registries = ["docker.io"]
                [[registry]]
                prefix = "quay.io"
                location = "main.example"
                [[registry.mirror]]
                location = "main-mirror.example"
                [[registry]]
                location = "ghcr.io"
                """);
        dropIn("10-quay.conf", """
                [[registry]]
                prefix = "quay.io"
                location = "dropin.example"
                """);
        dropIn("20-new.conf", """
                [[registry]]
                prefix = "registry.example/blocked"
                location = "registry.example/blocked"
                blocked = true
                """);
        RegistriesConf conf = RegistriesConf.loadWithDropIns(file());
        // Replaced whole: the main file's mirror is gone with its table.
        assertEquals(List.of("dropin.example"), hosts(conf, "quay.io/team/app:v1"));
        assertEquals(List.of("ghcr.io"), hosts(conf, "ghcr.io/x/y:1"));
        assertEquals(List.of("quay.io", "ghcr.io", "registry.example/blocked"), conf.registries().stream().map(r -> r.prefix()).toList());
        BackendException blocked = assertThrows(BackendException.class, () -> conf.endpoints(ref("registry.example/blocked/app:1")));
        assertTrue(blocked.getMessage().contains("20-new.conf"), "the message names the drop-in the table is in: " + blocked.getMessage());
        assertEquals(List.of("docker.io"), conf.unqualifiedSearchRegistries(), "no drop-in set it, so the main file's list stays");
    }

    @Test
    void dropInsApplyInLexicalOrderSoTheLastWins() throws IOException {
        dropIn("b.conf", "unqualified-search-registries = [\"b.example\"]\n[[registry]]\nprefix = \"quay.io\"\nlocation = \"b.example\"\n");
        dropIn("a.conf", "unqualified-search-registries = [\"a.example\"]\n[[registry]]\nprefix = \"quay.io\"\nlocation = \"a.example\"\n");
        dropIn("10.conf", "[[registry]]\nprefix = \"quay.io\"\nlocation = \"ten.example\"\n");
        dropIn("9.conf", "[[registry]]\nprefix = \"quay.io\"\nlocation = \"nine.example\"\n");
        RegistriesConf conf = RegistriesConf.loadWithDropIns(file()); // no main file: drop-ins still apply
        assertEquals(List.of("b.example"), hosts(conf, "quay.io/team/app:v1"), "order is lexical: 10 < 9 < a < b");
        assertEquals(List.of("b.example"), conf.unqualifiedSearchRegistries());
        assertEquals(1, conf.registries().size());
    }

    @Test
    void anEmptySearchListInADropInClearsTheEarlierOne() throws IOException {
        Files.writeString(file(), "unqualified-search-registries = [\"docker.io\", \"quay.io\"]\n");
        dropIn("50-clear.conf", "unqualified-search-registries = []\n");
        assertEquals(List.of(), RegistriesConf.loadWithDropIns(file()).unqualifiedSearchRegistries());
    }

    @Test
    void onlyConfFilesAreReadAndSubdirectoriesAreIgnored() throws IOException {
        Files.writeString(file(), "[[registry]]\nprefix = \"quay.io\"\nlocation = \"main.example\"\n");
        dropIn("10-bad.conf.rpmsave", "this is not toml at all [[[");
        dropIn("README", "neither is this");
        Files.createDirectories(dir.resolve("registries.conf.d/sub.conf"));
        Files.writeString(dir.resolve("registries.conf.d/sub.conf/x.conf"), "[[registry]]\nprefix = \"quay.io\"\nlocation = \"sub.example\"\n");
        assertEquals(List.of("main.example"), hosts(RegistriesConf.loadWithDropIns(file()), "quay.io/team/app:v1"));
    }

    @Test
    void anErrorInADropInNamesTheDropIn() throws IOException {
        Files.writeString(file(), "");
        Path bad = dropIn("30-typo.conf", "[[registry]]\nprefix = \"quay.io\"\nlocation = \"x.example\"\nblokced = true\n");
        ConfigException e = assertThrows(ConfigException.class, () -> RegistriesConf.loadWithDropIns(file()));
        assertTrue(e.getMessage().startsWith(bad + ": [[registry]] #1 (prefix \"quay.io\"): unknown key 'blokced'"), e.getMessage());
    }

    @Test
    void tablesOfOneLocationInDifferentFilesMustStillAgree() throws IOException {
        Files.writeString(file(), "[[registry]]\nprefix = \"a.example\"\nlocation = \"shared.example\"\n");
        Path other = dropIn("40-b.conf", "[[registry]]\nprefix = \"b.example\"\nlocation = \"shared.example\"\ninsecure = true\n");
        ConfigException e = assertThrows(ConfigException.class, () -> RegistriesConf.loadWithDropIns(file()));
        assertEquals(file() + ": [[registry]] #1 and " + other + ": [[registry]] #1 both use location \"shared.example\""
                + " but disagree on 'insecure' (false and true)", e.getMessage());
    }
}
