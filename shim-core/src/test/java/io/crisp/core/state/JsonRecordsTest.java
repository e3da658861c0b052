package io.crisp.core.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.crisp.spi.BackendException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class JsonRecordsTest {
    record Item(String name, int count, List<String> tags, Map<String, String> labels) {}

    @TempDir
    Path dir;

    @Test
    void recordsSurviveANewInstanceAndUnreadableFilesAreSkipped() throws Exception {
        JsonRecords<Item> records = new JsonRecords<>(dir.resolve("items"), Item.class);
        records.put("a1", new Item("a", 1, List.of("x"), Map.of("k", "v")));
        records.put("b2", new Item("b", 2, List.of(), Map.of()));
        records.put("b2", new Item("b", 3, List.of(), Map.of()));
        Files.writeString(dir.resolve("items/broken.json"), "{not json");
        records.delete("gone");

        Map<String, Item> loaded = new JsonRecords<>(dir.resolve("items"), Item.class).loadAll();
        assertEquals(Map.of("a1", new Item("a", 1, List.of("x"), Map.of("k", "v")), "b2", new Item("b", 3, List.of(), Map.of())), loaded);
        records.delete("a1");
        assertEquals(List.of("b2"), List.copyOf(records.loadAll().keySet()));
    }

    @Test
    void unsyncedRecordsDropAnEmptyFileAPowerCutLeftWhileSyncedOnesKeepItForAnOperator() throws Exception {
        JsonRecords<Item> unsynced = JsonRecords.unsynced(dir.resolve("containers"), Item.class);
        unsynced.put("c1", new Item("c", 1, List.of(), Map.of()));
        Files.writeString(dir.resolve("containers/c2.json"), "");
        assertEquals(Map.of("c1", new Item("c", 1, List.of(), Map.of())), JsonRecords.unsynced(dir.resolve("containers"), Item.class).loadAll());
        assertEquals(false, Files.exists(dir.resolve("containers/c2.json")), "the empty record is gone");

        JsonRecords<Item> synced = new JsonRecords<>(dir.resolve("pods"), Item.class);
        Files.writeString(dir.resolve("pods/p1.json"), "");
        assertEquals(Map.of(), synced.loadAll());
        assertEquals(true, Files.exists(dir.resolve("pods/p1.json")), "a synced record is never empty unless something else broke it");
    }

    @Test
    void idsThatAreNotSinglePathNamesAreRefused() {
        JsonRecords<Item> records = new JsonRecords<>(dir, Item.class);
        assertThrows(IllegalArgumentException.class, () -> records.put("../escape", new Item("x", 0, List.of(), Map.of())));
        assertThrows(IllegalArgumentException.class, () -> records.delete("a/b"));
    }

    @Test
    void aNameIsHeldUntilItsHolderReleasesIt() {
        NameReservations names = new NameReservations("pod sandbox");
        names.reserve("web_default_uid_0", "id1");
        names.reserve("web_default_uid_0", "id1");
        BackendException e = assertThrows(BackendException.class, () -> names.reserve("web_default_uid_0", "id2"));
        assertEquals(BackendException.Kind.ALREADY_EXISTS, e.kind());
        assertEquals(true, e.getMessage().contains("id1"), e.getMessage());
        names.release("web_default_uid_0", "id2"); // not the holder: no effect
        assertThrows(BackendException.class, () -> names.reserve("web_default_uid_0", "id2"));
        names.release("web_default_uid_0", "id1");
        names.reserve("web_default_uid_0", "id2");
    }

    @Test
    void tempFilesOfAKilledWriteGoWhenRecordsLoad() throws Exception {
        JsonRecords<Item> records = new JsonRecords<>(dir.resolve("items"), Item.class);
        records.put("a1", new Item("a", 1, List.of(), Map.of()));
        Path leftover = dir.resolve("items/.a1.json123456.tmp");
        Files.writeString(leftover, "{\"name\": \"a\", \"cou");
        assertEquals(List.of("a1"), List.copyOf(records.loadAll().keySet()));
        assertEquals(false, Files.exists(leftover), "the half-written temp file is gone");
    }

    @Test
    void creationMarksNameTheCreationsUnderWay() {
        CreationMarks marks = new CreationMarks(dir.resolve("pods"));
        String a = "a".repeat(64);
        String b = "b".repeat(64);
        assertEquals(java.util.Set.of(), marks.pending());
        marks.begin(a);
        marks.begin(b);
        marks.end(b);
        marks.end(b); // absent is fine
        assertEquals(java.util.Set.of(a), new CreationMarks(dir.resolve("pods")).pending());
        assertThrows(IllegalArgumentException.class, () -> marks.begin("../x"));
    }
}
