package io.crisp.core.network;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import io.crisp.core.os.LibC;
import io.crisp.core.os.Nsfs;
import io.crisp.core.state.HostCommand;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Network namespaces pinned by a bind mount at {@code <dir>/<sandboxId>} (no process keeps them
 * alive), as {@code ip netns} does under {@code /run/netns}.
 *
 * <p>Pinning: an empty regular file is created, then a fresh thread unshares a new network namespace,
 * bind-mounts its {@code /proc/thread-self/ns/net} onto the file and ends, as
 * {@code unshare --net=<file> true} would without starting a process ({@link NamespaceThreads}). The kernel
 * keeps the namespace alive as long as that bind mount exists; {@code umount <file>} drops it (once
 * nothing else, such as a process inside it or an open descriptor, holds it).
 *
 * <p>The directory is a plain directory, not a mount point of its own: {@code unshare --net=FILE}
 * works under a shared mount too, and a directory that stays mounted after the daemon stops would
 * keep its parent (say a test's temporary directory) from being deleted. The price: a mount
 * namespace copied from the daemon's after a pin exists keeps a copy of that pin; runc drops its
 * copies when it detaches the old root, so containers do not hold pods' namespaces.
 *
 * <p>The pins belong to the kernel and to this process's mount namespace: they survive a daemon
 * restart (in the same mount namespace), and {@link #list()} with {@link #exists(String)} is how a
 * restarted daemon finds them again. They do not survive a reboot; a directory on a persistent
 * filesystem then holds empty leftover files, which {@link #list()} reports and {@link #remove(String)}
 * deletes.
 *
 * <p>Invariants:
 * <ol>
 *   <li>A sandbox id is a single path name ({@code [a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}}), so a pin is
 *       always a direct child of the directory, never {@code ..} or a nested path.
 *   <li>{@code create} either returns a pinned namespace or leaves nothing behind.
 *   <li>{@code create} and {@code remove} are serialised per instance.
 * </ol>
 */
public final class NetworkNamespaces {
    private static final Logger LOG = LoggerFactory.getLogger(NetworkNamespaces.class);

    private final Path dir;
    /** Whether this instance made the directory's own bind mount, which {@link #close()} then undoes. */
    private final boolean boundHere;

    /** Creates the directory if needed; its real path is used, since mountinfo shows real paths. */
    public NetworkNamespaces(Path dir) {
        try {
            Files.createDirectories(dir);
            this.dir = dir.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        this.boundHere = false;
    }

    /** The pin file of a sandbox; the id is validated, nothing is created. */
    public Path path(String sandboxId) {
        return dir.resolve(validId(sandboxId));
    }

    /**
     * Creates the empty file and pins a new network namespace there.
     *
     * @return the pin file, to be given as a path to {@code nsenter --net}, runc's
     *     {@code linux.namespaces[].path} or CNI's {@code CNI_NETNS}
     * @throws BackendException {@code ALREADY_EXISTS} if a namespace is pinned there already,
     *     {@code INTERNAL} if pinning fails (nothing is left behind then)
     */
    public synchronized Path create(String sandboxId) {
        Path file = path(sandboxId);
        if (exists(sandboxId)) {
            throw new BackendException(Kind.ALREADY_EXISTS,
                    "network namespace of sandbox " + sandboxId + " is already pinned at " + file);
        }
        try {
            Files.createFile(file);
        } catch (FileAlreadyExistsException e) {
            // A leftover from before a reboot or a crash: reused if it is a plain file, nothing is mounted on it.
            if (!Files.isRegularFile(file, NOFOLLOW_LINKS)) {
                throw new BackendException(Kind.INTERNAL, "cannot pin the network namespace of sandbox " + sandboxId
                        + ": " + file + " exists and is not a regular file", e);
            }
            LOG.info("reusing leftover network namespace file {}", file);
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "cannot create " + file + " for the network namespace of sandbox "
                    + sandboxId + ": " + e.getMessage(), e);
        }
        try {
            NamespaceThreads.run("crisp-netns-" + sandboxId.substring(0, Math.min(12, sandboxId.length())), () -> {
                NamespaceThreads.call("unshare(CLONE_NEWNET)", () -> LibC.INSTANCE.unshare(LibC.CLONE_NEWNET));
                NamespaceThreads.call("bind mount of the network namespace on " + file,
                        () -> LibC.INSTANCE.mount("/proc/thread-self/ns/net", file.toString(), null, LibC.MS_BIND, null));
            });
        } catch (Exception e) {
            String undo = undoCreate(sandboxId);
            throw new BackendException(Kind.INTERNAL, "cannot pin a new network namespace for sandbox " + sandboxId
                    + " at " + file + ": " + e.getMessage() + undo, e);
        }
        LOG.debug("pinned network namespace of sandbox {} at {}", sandboxId, file);
        return file;
    }

    /** Whether a network namespace is pinned at the sandbox's file now ({@link Nsfs}: one lstat, no mountinfo). */
    public boolean exists(String sandboxId) {
        return Nsfs.holdsNamespace(path(sandboxId));
    }

    /**
     * Unpins the sandbox's network namespace and deletes its file; an absent one is fine.
     *
     * <p>A plain {@code umount} comes first; if it fails, {@code umount -l} detaches the pin anyway.
     * The namespace itself lives on while a process is still inside it or holds it open.
     */
    public synchronized void remove(String sandboxId) {
        Path file = path(sandboxId);
        NamespacePins.unpin(file.toString(), "network namespace of sandbox " + sandboxId, "the network namespace of sandbox " + sandboxId);
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "cannot delete " + file + " of the network namespace of sandbox "
                    + sandboxId + ": " + e.getMessage(), e);
        }
        LOG.debug("removed network namespace of sandbox {} at {}", sandboxId, file);
    }

    /** The ids of the files in the directory, pinned or leftovers, sorted; what a restarted daemon cleans up from. */
    public List<String> list() {
        return NamespacePins.list(dir, "network namespaces in ");
    }

    /**
     * Undoes the directory's own bind mount if this instance made it (lazily if busy); pins still under
     * it are detached with it. For tests and orderly shutdown of a throwaway directory: the daemon keeps
     * its directory mounted, so that a restart finds its pins.
     */
    void close() {
        if (boundHere) {
            String self = dir.toString();
            try {
                HostCommand.run("umount", self);
            } catch (IOException busy) {
                try {
                    HostCommand.run("umount", "-l", self);
                } catch (IOException e) {
                    throw new BackendException(Kind.INTERNAL, "cannot unmount network namespace directory " + self
                            + ": " + busy.getMessage() + "; lazily: " + e.getMessage(), e);
                }
            }
        }
    }

    /** The directory, as its real path. */
    Path dir() {
        return dir;
    }

    // ---- internals ----

    private static String validId(String sandboxId) {
        return NamespacePins.validId(sandboxId, "a network namespace");
    }

    /** Best effort, after a failed create: returns a note for the error message if the undo failed too. */
    private String undoCreate(String sandboxId) {
        try {
            remove(sandboxId);
            return "";
        } catch (RuntimeException e) {
            return " (and undoing it failed: " + e.getMessage() + ")";
        }
    }
}
