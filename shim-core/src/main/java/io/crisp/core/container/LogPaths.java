package io.crisp.core.container;

import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Resolves a container's CRI log file, {@code log_directory} of its pod plus its own
 * {@code log_path}, so that it can only ever land inside the log directory: an absolute
 * {@code log_path}, one that climbs out with {@code ..}, or one whose directories or file are
 * symlinks leading out is refused. conmon opens the path later as root, so this is the only guard.
 */
public final class LogPaths {
    private LogPaths() {}

    /**
     * @return the absolute log file, or empty when the pod has no log directory or the container no log path
     * @throws BackendException INVALID_ARGUMENT naming {@code config.log_path}
     */
    public static Optional<Path> resolve(String logDirectory, String logPath) {
        if (logDirectory.isEmpty() || logPath.isEmpty()) {
            return Optional.empty();
        }
        Path relative = Path.of(logPath);
        if (relative.isAbsolute()) {
            throw BackendException.invalidArgument("config.log_path: %s must be relative to the pod's log_directory %s", logPath, logDirectory);
        }
        Path dir = Path.of(logDirectory).normalize();
        Path file = dir.resolve(relative).normalize();
        if (!file.startsWith(dir) || file.equals(dir)) {
            throw BackendException.invalidArgument("config.log_path: %s leads outside the pod's log_directory %s", logPath, logDirectory);
        }
        try {
            Files.createDirectories(file.getParent());
            Path realDir = dir.toRealPath();
            if (!file.getParent().toRealPath().startsWith(realDir)) {
                throw BackendException.invalidArgument("config.log_path: %s leads outside the pod's log_directory %s through a symlink",
                        logPath, logDirectory);
            }
            if (Files.isSymbolicLink(file) || (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS))) {
                throw BackendException.invalidArgument("config.log_path: %s exists and is not a regular file", logPath);
            }
        } catch (IOException e) {
            throw BackendException.invalidArgument("config.log_path: cannot prepare %s: %s", file, e.getMessage());
        }
        return Optional.of(file);
    }
}
