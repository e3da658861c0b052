package io.crisp.core.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.OptionalLong;

/** {@code <state>/crisp.pid}: how {@code crisp reload} finds the daemon to send SIGHUP to. */
public final class PidFile {
    public static final String NAME = "crisp.pid";

    private PidFile() {}

    public static Path path(Path stateDir) {
        return stateDir.resolve(NAME);
    }

    /** Written to a temp file and renamed, so a reader never sees half a pid. */
    static void write(Path stateDir) throws IOException {
        Files.createDirectories(stateDir);
        Path tmp = Files.createTempFile(stateDir, NAME, ".tmp");
        Files.writeString(tmp, ProcessHandle.current().pid() + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, path(stateDir), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static void remove(Path stateDir) {
        try {
            Path file = path(stateDir);
            if (read(stateDir).orElse(-1) == ProcessHandle.current().pid()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException ignored) {
            // A stale pid file is harmless: readers check the process exists.
        }
    }

    public static OptionalLong read(Path stateDir) {
        try {
            return OptionalLong.of(Long.parseLong(Files.readString(path(stateDir), StandardCharsets.US_ASCII).trim()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
