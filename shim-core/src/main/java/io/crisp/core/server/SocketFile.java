package io.crisp.core.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SocketChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The filesystem side of the CRI socket: its directory, a lock that keeps two daemons apart, the
 * stale file a crashed daemon left, and the socket's owner and mode.
 *
 * <p>Rules, in order:
 * <ol>
 *   <li>The parent directory is created (0755) when missing.</li>
 *   <li>{@code <socket>.lock} is locked for the life of the daemon; if another process holds it,
 *       another crisp is running and this one refuses to start.</li>
 *   <li>A socket file that answers a connection belongs to a live server of some other kind: refuse.
 *       One that refuses connections is stale: remove it. Anything that is not a socket is never
 *       removed.</li>
 *   <li>After bind the socket is made {@code root:root 0660}.</li>
 * </ol>
 */
public final class SocketFile implements AutoCloseable {
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    /** Lock files held by this JVM. */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path socket;
    private final Path lockFile;
    private final FileChannel lockChannel;
    private final FileLock lock;
    /** Set once our server has bound the path: only then is the file ours to remove. */
    private volatile boolean bound;

    private SocketFile(Path socket, Path lockFile, FileChannel lockChannel, FileLock lock) {
        this.socket = socket;
        this.lockFile = lockFile;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Makes {@code socket} ready to bind.
     *
     * @throws IllegalStateException with a message for the operator when another server owns the path
     */
    public static SocketFile prepare(Path socket) {
        try {
            Path dir = socket.getParent();
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            }
            Path lockFile = socket.resolveSibling(socket.getFileName() + ".lock").toAbsolutePath().normalize();
            // A second channel on a lock file this JVM holds must never be opened: closing it would
            // drop the process's lock (POSIX locks are per process and file), so check in memory first.
            if (!HELD.add(lockFile)) {
                throw refused(socket, lockFile);
            }
            FileChannel channel;
            FileLock lock;
            try {
                channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                lock = channel.tryLock();
            } catch (IOException | RuntimeException e) {
                HELD.remove(lockFile);
                throw e;
            }
            if (lock == null) {
                channel.close();
                HELD.remove(lockFile);
                throw refused(socket, lockFile);
            }
            SocketFile file = new SocketFile(socket, lockFile, channel, lock);
            try {
                file.removeStale();
            } catch (RuntimeException e) {
                file.close();
                throw e;
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare socket " + socket + ": " + e.getMessage(), e);
        }
    }

    private static IllegalStateException refused(Path socket, Path lockFile) {
        return new IllegalStateException("another crisp daemon is serving " + socket + " (it holds " + lockFile
                + "); stop it first or choose another --listen");
    }

    private void removeStale() throws IOException {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new IllegalStateException(socket + " exists and is not a socket; refusing to replace it");
        }
        if (answers(socket)) {
            throw new IllegalStateException("another server is listening on " + socket + "; stop it first or choose another --listen");
        }
        Files.delete(socket);
    }

    /** True when something accepts connections on the socket. */
    public static boolean answers(Path socket) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) { // ConnectException (refused) or no such file
            return false;
        }
    }

    /** After bind: owner root:root (when running as root) and mode 0660. */
    public void secure() throws IOException {
        bound = true;
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
        if (isRoot()) {
            UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
            PosixFileAttributeView view = Files.getFileAttributeView(socket, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
            view.setOwner(users.lookupPrincipalByName("root"));
            view.setGroup(users.lookupPrincipalByGroupName("root"));
        }
    }

    static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    public Path path() {
        return socket;
    }

    /** Removes the socket if this daemon bound it, and releases the lock. */
    @Override
    public void close() {
        if (bound) {
            try {
                Files.deleteIfExists(socket);
            } catch (IOException ignored) {
                // Best effort; the next start treats a leftover as stale.
            }
        }
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException ignored) {
            // Closing the channel releases the lock with the process anyway.
        } finally {
            HELD.remove(lockFile);
        }
    }
}
