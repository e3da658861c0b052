package io.crisp.plugin.kit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * A plugin's records: small properties files, each replaced atomically ({@link AtomicFiles}), so a
 * daemon killed at any moment leaves either the old or the new record. Each record carries its
 * format's number under {@link #VERSION}, for a later format to recognise older records; records
 * written before the field existed have none ({@link #version} answers 0).
 *
 * <p>Written as {@link Properties#store(java.io.OutputStream, String)} does (ASCII, anything else
 * escaped), read as UTF-8, so records that older plugins wrote either way read back the same.
 */
public final class RecordFiles {
    /** The key of the record format's number. */
    public static final String VERSION = "version";

    private RecordFiles() {}

    /** Replaces {@code file} with {@code record} plus {@value #VERSION} = {@code version}. */
    public static void write(Path file, int version, Map<String, String> record) throws IOException {
        AtomicFiles.writeAtomically(file, bytes(version, record));
    }

    /** As {@link #write}, without the fsyncs ({@link AtomicFiles#replace}): for records in the state directory. */
    public static void replace(Path file, int version, Map<String, String> record) throws IOException {
        AtomicFiles.replace(file, bytes(version, record));
    }

    private static byte[] bytes(int version, Map<String, String> record) throws IOException {
        Properties p = new Properties();
        p.putAll(record);
        p.setProperty(VERSION, Integer.toString(version));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        p.store(bytes, null);
        return bytes.toByteArray();
    }

    /** The record in {@code file}, {@value #VERSION} included when it has one; empty when missing. */
    public static Optional<Map<String, String>> read(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        Map<String, String> out = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
        return Optional.of(out);
    }

    /** The record's format number; 0 for a record written before records had one. */
    public static int version(Map<String, String> record) {
        String v = record.get(VERSION);
        try {
            return v == null ? 0 : Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
