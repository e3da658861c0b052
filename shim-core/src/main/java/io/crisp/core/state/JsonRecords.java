package io.crisp.core.state;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory of records, one {@code <id>.json} file each, written with {@link AtomicFiles}: what
 * the daemon knows about pods and containers, so that a killed daemon finds all of it again. Ids
 * are checked before they become file names. Unknown JSON fields are ignored, so a newer daemon's
 * files load in an older one. Records are fsynced unless made {@link #unsynced}: then a killed
 * daemon still finds every write (the page cache keeps it), a power cut may lose the last ones.
 *
 * @param <T> a Jackson-readable record
 */
public final class JsonRecords<T> {
    private static final Logger log = LoggerFactory.getLogger(JsonRecords.class);
    private static final Pattern ID = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}");
    private static final ObjectMapper MAPPER = Json.MAPPER;

    private final Path dir;
    private final ObjectReader reader;
    private final boolean synced;

    /** Records written durably: temp file, fsync, rename, fsync of the directory. */
    public JsonRecords(Path dir, Class<T> type) {
        this(dir, type, true);
    }

    private JsonRecords(Path dir, Class<T> type, boolean synced) {
        this.dir = dir;
        this.synced = synced;
        this.reader = MAPPER.readerFor(type).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Records that are atomic (temp file and rename) but not fsynced: for what a reboot makes moot.
     * An empty record found at load is a write a power cut lost, and is removed.
     */
    public static <T> JsonRecords<T> unsynced(Path dir, Class<T> type) {
        return new JsonRecords<>(dir, type, false);
    }

    public Path dir() {
        return dir;
    }

    public void put(String id, T record) {
        try {
            byte[] json = MAPPER.writeValueAsBytes(record);
            if (synced) {
                AtomicFiles.write(file(id), json);
            } else {
                AtomicFiles.replace(file(id), json);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file(id) + ": " + e.getMessage(), e);
        }
    }

    public void delete(String id) {
        try {
            Files.deleteIfExists(file(id));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file(id) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Every readable record by id, after deleting temp files of interrupted writes. A file that cannot
     * be read is logged and left in place for an operator.
     */
    public Map<String, T> loadAll() {
        Map<String, T> records = new LinkedHashMap<>();
        try {
            AtomicFiles.removeLeftovers(dir); // a write the previous daemon was killed in
        } catch (IOException e) {
            log.warn("Cannot remove temp files in {}: {}", dir, e.getMessage());
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                String id = name.substring(0, name.length() - ".json".length());
                if (!ID.matcher(id).matches()) {
                    continue;
                }
                try {
                    if (!synced && Files.size(f) == 0) {
                        log.warn("Removing empty state file {}: its write was lost (a power cut?)", f);
                        Files.deleteIfExists(f);
                        continue;
                    }
                    records.put(id, reader.readValue(f.toFile()));
                } catch (NoSuchFileException e) {
                    // removed meanwhile
                } catch (IOException | RuntimeException e) {
                    log.error("Ignoring unreadable state file {}: {}", f, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        return records;
    }

    private Path file(String id) {
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("not a valid record id: " + id);
        }
        return dir.resolve(id + ".json");
    }
}
