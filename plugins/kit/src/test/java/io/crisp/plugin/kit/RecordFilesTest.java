package io.crisp.plugin.kit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class RecordFilesTest {
    @TempDir
    Path dir;

    @Test
    void writesTheVersionAndReadsTheRecordBack() throws Exception {
        Path file = dir.resolve("r.properties");
        RecordFiles.write(file, 1, Map.of("name", "pod é ☃", "path", "/a b/c=d"));
        Map<String, String> read = RecordFiles.read(file).orElseThrow();
        assertEquals(Map.of("name", "pod é ☃", "path", "/a b/c=d", "version", "1"), read);
        assertEquals(1, RecordFiles.version(read));
        String text = Files.readString(file, StandardCharsets.ISO_8859_1);
        assertTrue(text.chars().allMatch(c -> c < 0x80), "ASCII on disk: " + text);
    }

    @Test
    void aMissingRecordIsEmpty() throws Exception {
        assertEquals(Optional.empty(), RecordFiles.read(dir.resolve("missing")));
    }

    @Test
    void readsRecordsOlderPluginsWroteEitherWay() throws Exception {
        Properties p = new Properties();
        p.setProperty("name", "pod é ☃");
        StringWriter utf8 = new StringWriter();
        p.store(utf8, null); // runc's meta.properties: raw UTF-8
        Path runc = Files.writeString(dir.resolve("meta.properties"), utf8.toString(), StandardCharsets.UTF_8);
        ByteArrayOutputStream escaped = new ByteArrayOutputStream();
        p.store(escaped, null); // kata's records: ISO 8859-1 with escapes
        Path kata = Files.write(dir.resolve("id.properties"), escaped.toByteArray());

        for (Path file : new Path[] {runc, kata}) {
            Map<String, String> read = RecordFiles.read(file).orElseThrow();
            assertEquals(Map.of("name", "pod é ☃"), read);
            assertEquals(0, RecordFiles.version(read));
        }
    }
}
