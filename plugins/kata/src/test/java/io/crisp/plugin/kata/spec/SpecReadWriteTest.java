package io.crisp.plugin.kata.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class SpecReadWriteTest {
    @TempDir
    Path bundle;

    private Path config() {
        return bundle.resolve(OciSpecEdits.CONFIG_FILE);
    }

    private List<Path> bundleEntries() throws IOException {
        try (Stream<Path> entries = Files.list(bundle)) {
            return entries.sorted().toList();
        }
    }

    @Test
    void runcSpecReadsEditsAndWritesBack() throws Exception {
        JsonRuncSpecTest.RuncSpec.generate(bundle);
        String original = Files.readString(config());
        Map<String, Object> spec = OciSpecEdits.read(bundle);

        OciSpecEdits.write(bundle, spec);
        assertEquals(JsonRuncSpecTest.compact(original), Files.readString(config()));
        assertEquals(spec, OciSpecEdits.read(bundle));
        assertEquals(List.of(config()), bundleEntries());
    }

    @Test
    void writeKeepsTheOriginalsPermissions() throws Exception {
        Files.writeString(config(), "{}");
        Files.setPosixFilePermissions(config(), PosixFilePermissions.fromString("rw-r-----"));
        OciSpecEdits.write(bundle, Map.of("ociVersion", "1.1.0"));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(config())));

        Files.setPosixFilePermissions(config(), PosixFilePermissions.fromString("r--------"));
        OciSpecEdits.write(bundle, Map.of("ociVersion", "1.2.0"));
        assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config())));
        assertEquals("{\"ociVersion\":\"1.2.0\"}", Files.readString(config()));
    }

    @Test
    void newFileIsOwnerOnly() throws Exception {
        OciSpecEdits.write(bundle, Map.of("ociVersion", "1.1.0"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config())));
        assertEquals("{\"ociVersion\":\"1.1.0\"}", Files.readString(config()));
    }

    @Test
    void writeReplacesTheFileInsteadOfRewritingIt() throws Exception {
        Files.writeString(config(), "{\"old\":true}");
        Path link = bundle.resolve("old-inode");
        Files.createLink(link, config());

        OciSpecEdits.write(bundle, Map.of("new", true));
        assertEquals("{\"old\":true}", Files.readString(link));
        assertEquals("{\"new\":true}", Files.readString(config()));
    }

    @Test
    void failedWriteLeavesNoTemporaryFile() throws Exception {
        Files.createDirectory(config());
        Files.writeString(config().resolve("keep"), "x");

        assertThrows(IOException.class, () -> OciSpecEdits.write(bundle, Map.of("a", 1L)));
        assertEquals(List.of(config()), bundleEntries());
    }

    @Test
    void unwritableTreeFailsBeforeTouchingTheBundle() throws Exception {
        Files.writeString(config(), "{}");
        assertThrows(IllegalArgumentException.class, () -> OciSpecEdits.write(bundle, Map.of("x", Double.NaN)));
        assertEquals("{}", Files.readString(config()));
        assertEquals(List.of(config()), bundleEntries());
    }

    @Test
    void nonAsciiIsWrittenAsUtf8() throws Exception {
        OciSpecEdits.write(bundle, Map.of("hostname", "caf\u00e9"));
        byte[] bytes = Files.readAllBytes(config());
        assertEquals("{\"hostname\":\"caf\u00e9\"}", new String(bytes, StandardCharsets.UTF_8));
        assertEquals(Map.of("hostname", "caf\u00e9"), OciSpecEdits.read(bundle));
    }

    @Test
    void readRefusesBrokenFilesNamingThem() throws Exception {
        assertThrows(NoSuchFileException.class, () -> OciSpecEdits.read(bundle));

        Files.writeString(config(), "{\"a\":}");
        IOException e = assertThrows(IOException.class, () -> OciSpecEdits.read(bundle));
        assertEquals(config() + ": not a JSON spec: offset 5: unexpected '}', expected a value", e.getMessage());

        Files.writeString(config(), "[]");
        e = assertThrows(IOException.class, () -> OciSpecEdits.read(bundle));
        assertTrue(e.getMessage().endsWith("expected a JSON object, found an array"), e.getMessage());

        Files.write(config(), new byte[] {'{', '"', (byte) 0xC3, '"', ':', '1', '}'});
        e = assertThrows(IOException.class, () -> OciSpecEdits.read(bundle));
        assertEquals(config() + ": not valid UTF-8", e.getMessage());
    }
}
