package io.crisp.core.oci;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * Reads files inside a container rootfs as the container would see them: symlinks are followed by
 * hand, an absolute target restarts at the rootfs and {@code ..} stops at it, so a link like
 * {@code etc/passwd -> /etc/passwd} reads the image's file (or nothing), never the host's.
 */
public final class RootfsFiles {
    private static final int MAX_LINKS = 40;
    private static final long MAX_SIZE = 4 << 20;

    private RootfsFiles() {}

    /**
     * The host path of {@code containerPath} with every symlink resolved inside {@code rootfs};
     * empty when a component is missing. Throws IOException for link loops.
     */
    public static Optional<Path> resolve(Path rootfs, String containerPath) throws IOException {
        Path root = rootfs.toAbsolutePath().normalize();
        Deque<String> todo = new ArrayDeque<>();
        push(todo, containerPath);
        Deque<String> done = new ArrayDeque<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String part = todo.pop();
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                done.pollLast();
                continue;
            }
            Path here = join(root, done).resolve(part);
            if (Files.isSymbolicLink(here)) {
                if (++links > MAX_LINKS) {
                    throw new IOException("too many symlinks resolving " + containerPath + " in " + rootfs);
                }
                String target = Files.readSymbolicLink(here).toString();
                if (target.startsWith("/")) {
                    done.clear();
                }
                push(todo, target);
                continue;
            }
            if (!Files.exists(here, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            done.addLast(part);
        }
        return Optional.of(join(root, done));
    }

    /** The text of a regular file inside the rootfs (UTF-8, at most 4 MiB), empty when it is missing. */
    public static Optional<String> read(Path rootfs, String containerPath) throws IOException {
        Optional<Path> path = resolve(rootfs, containerPath);
        if (path.isEmpty() || !Files.isRegularFile(path.get(), LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        if (Files.size(path.get()) > MAX_SIZE) {
            throw new IOException(containerPath + " in " + rootfs + " is larger than 4 MiB");
        }
        try {
            return Optional.of(new String(Files.readAllBytes(path.get()), StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    private static void push(Deque<String> todo, String path) {
        String[] parts = path.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
            todo.push(parts[i]);
        }
    }

    private static Path join(Path root, Deque<String> parts) {
        Path p = root;
        for (String part : parts) {
            p = p.resolve(part);
        }
        return p;
    }
}
