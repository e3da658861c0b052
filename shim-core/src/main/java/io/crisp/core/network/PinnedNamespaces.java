package io.crisp.core.network;

import io.crisp.core.os.LibC;
import io.crisp.core.os.Nsfs;
import io.crisp.core.state.FileTrees;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IPC and UTS namespaces of pods without an infra process, pinned by bind mounts at
 * {@code <dir>/<sandboxId>/ipc} and {@code <dir>/<sandboxId>/uts} (the network namespace is
 * {@link NetworkNamespaces}'), as CRI-O's pinns pins them. Containers join the files through their
 * spec's {@code linux.namespaces[].path}.
 *
 * <p>Pinning runs on a thread of its own, which ends afterwards: IPC, UTS and network namespaces
 * belong to a thread, not to the process. The thread unshares new IPC and UTS namespaces, sets the
 * pod's hostname in the UTS one, enters the pod's network namespace when a {@code net.*} sysctl
 * needs it, writes the pod's sysctls (each one reaches the namespace of the writing thread, as the
 * infra process's runc would write them), and bind-mounts its {@code /proc/thread-self/ns/*} onto
 * the files. No process is started.
 *
 * <p>The pins belong to the daemon's mount namespace and survive a daemon restart; {@link #list()}
 * and {@link #exists(String)} are how a restarted daemon finds them. {@link #remove(String)}
 * unmounts and deletes them; an absent one is fine.
 */
public final class PinnedNamespaces {
    private static final Logger LOG = LoggerFactory.getLogger(PinnedNamespaces.class);
    private static final Path PROC_SYS = Path.of("/proc/sys");

    private final Path dir;

    /** Creates the directory if needed; its real path is used, since mountinfo shows real paths. */
    public PinnedNamespaces(Path dir) {
        try {
            Files.createDirectories(dir);
            this.dir = dir.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * What to pin for a pod.
     *
     * @param ipc a new IPC namespace (false: the pod uses the node's)
     * @param uts a new UTS namespace (false: the pod uses the node's network, and with it its hostname)
     * @param hostname set in the new UTS namespace; empty keeps the node's name there
     * @param sysctls the pod's sysctls, written in its namespaces
     * @param netns the pod's pinned network namespace, null when it uses the node's
     */
    public record Request(boolean ipc, boolean uts, String hostname, Map<String, String> sysctls, Path netns) {}

    /** The files a pod's containers join; null for a namespace the pod shares with the node. */
    public record Pins(Path ipc, Path uts) {}

    /** The pins of a sandbox, whether they exist or not; nothing is created. */
    public Pins paths(String sandboxId, boolean ipc, boolean uts) {
        Path pod = dir.resolve(validId(sandboxId));
        return new Pins(ipc ? pod.resolve("ipc") : null, uts ? pod.resolve("uts") : null);
    }

    /**
     * Pins the namespaces the request asks for, with the hostname and sysctls applied. On failure
     * nothing is left.
     *
     * @throws BackendException INVALID_ARGUMENT for a sysctl that belongs to none of the pod's own
     *     namespaces, INTERNAL when the kernel refuses
     */
    public synchronized Pins create(String sandboxId, Request request) {
        Pins pins = paths(sandboxId, request.ipc(), request.uts());
        Map<String, Path> sysctls = sysctlFiles(request);
        try {
            Files.createDirectories(dir.resolve(sandboxId));
            for (Path pin : new Path[] {pins.ipc(), pins.uts()}) {
                if (pin != null && !Files.exists(pin)) {
                    Files.createFile(pin);
                }
            }
        } catch (IOException e) {
            undo(sandboxId);
            throw new BackendException(Kind.INTERNAL, "cannot create the namespace files of pod sandbox " + sandboxId + ": " + e, e);
        }
        try {
            NamespaceThreads.run("crisp-pin-" + sandboxId.substring(0, Math.min(12, sandboxId.length())),
                    () -> pinOnThisThread(pins, request, sysctls));
        } catch (BackendException e) {
            throw new BackendException(e.kind(), e.getMessage() + undo(sandboxId), e);
        } catch (Exception e) {
            throw new BackendException(Kind.INTERNAL, "cannot pin the IPC/UTS namespaces of pod sandbox " + sandboxId + ": "
                    + e.getMessage() + undo(sandboxId), e);
        }
        LOG.debug("pinned namespaces of pod sandbox {} under {}", sandboxId, dir.resolve(sandboxId));
        return pins;
    }

    /** Runs on the pinning thread, whose namespaces it changes; the thread ends afterwards. */
    private static void pinOnThisThread(Pins pins, Request request, Map<String, Path> sysctls) throws IOException {
        int flags = (pins.ipc() != null ? LibC.CLONE_NEWIPC : 0) | (pins.uts() != null ? LibC.CLONE_NEWUTS : 0);
        if (flags != 0) {
            NamespaceThreads.call("unshare", () -> LibC.INSTANCE.unshare(flags));
        }
        if (pins.uts() != null && !request.hostname().isEmpty()) {
            byte[] name = request.hostname().getBytes(StandardCharsets.UTF_8);
            NamespaceThreads.call("sethostname " + request.hostname(), () -> LibC.INSTANCE.sethostname(name, name.length));
        }
        if (request.netns() != null && request.sysctls().keySet().stream().anyMatch(k -> k.startsWith("net."))) {
            int fd = NamespaceThreads.call("open " + request.netns(),
                    () -> LibC.INSTANCE.open(request.netns().toString(), LibC.O_RDONLY | LibC.O_CLOEXEC));
            try {
                NamespaceThreads.call("setns " + request.netns(), () -> LibC.INSTANCE.setns(fd, LibC.CLONE_NEWNET));
            } finally {
                LibC.INSTANCE.close(fd);
            }
        }
        for (Map.Entry<String, Path> sysctl : sysctls.entrySet()) {
            try {
                Files.writeString(sysctl.getValue(), request.sysctls().get(sysctl.getKey()));
            } catch (IOException e) {
                throw BackendException.invalidArgument("config.linux.sysctls: cannot set %s to '%s': %s", sysctl.getKey(),
                        request.sysctls().get(sysctl.getKey()), e.getMessage());
            }
        }
        if (pins.ipc() != null) {
            NamespaceThreads.call("bind mount of the IPC namespace on " + pins.ipc(),
                    () -> LibC.INSTANCE.mount("/proc/thread-self/ns/ipc", pins.ipc().toString(), null, LibC.MS_BIND, null));
        }
        if (pins.uts() != null) {
            NamespaceThreads.call("bind mount of the UTS namespace on " + pins.uts(),
                    () -> LibC.INSTANCE.mount("/proc/thread-self/ns/uts", pins.uts().toString(), null, LibC.MS_BIND, null));
        }
    }

    /**
     * The file of each sysctl the pod sets, checked as runc checks an infra process's: {@code net.*}
     * needs the pod's network namespace (with the node's it is left out, as for the infra process),
     * the IPC ones ({@code kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*}) its IPC namespace,
     * {@code kernel.hostname} and {@code kernel.domainname} its UTS namespace; others are refused.
     */
    private static Map<String, Path> sysctlFiles(Request request) {
        Map<String, Path> files = new java.util.LinkedHashMap<>();
        for (String key : request.sysctls().keySet()) {
            boolean ok;
            if (key.startsWith("net.")) {
                if (request.netns() == null) {
                    continue;
                }
                ok = true;
            } else if (key.startsWith("kernel.msg") || key.equals("kernel.sem") || key.startsWith("kernel.shm")
                    || key.startsWith("fs.mqueue.")) {
                ok = request.ipc();
            } else if (key.equals("kernel.hostname") || key.equals("kernel.domainname")) {
                ok = request.uts();
            } else {
                ok = false;
            }
            if (!ok) {
                throw BackendException.invalidArgument("config.linux.sysctls: %s is not in a namespace of the pod"
                        + " (it would change the node)", key);
            }
            Path file = PROC_SYS.resolve(key.contains("/") ? key : key.replace('.', '/')).normalize();
            if (!file.startsWith(PROC_SYS) || file.equals(PROC_SYS)) {
                throw BackendException.invalidArgument("config.linux.sysctls: '%s' is not a sysctl name", key);
            }
            files.put(key, file);
        }
        return files;
    }

    /** Whether every pin the pod needs is an nsfs mount point now ({@link Nsfs}: one lstat each, no mountinfo). */
    public boolean exists(String sandboxId, boolean ipc, boolean uts) {
        Pins pins = paths(sandboxId, ipc, uts);
        for (Path pin : new Path[] {pins.ipc(), pins.uts()}) {
            if (pin != null && !Nsfs.holdsNamespace(pin)) {
                return false;
            }
        }
        return true;
    }

    /** Unpins and deletes the sandbox's files; absent ones are fine. */
    public synchronized void remove(String sandboxId) {
        Path pod = dir.resolve(validId(sandboxId));
        if (!Files.exists(pod)) {
            return;
        }
        for (String name : List.of("ipc", "uts")) {
            NamespacePins.unpin(pod.resolve(name).toString(), "pod sandbox " + sandboxId, "the namespace of pod sandbox " + sandboxId);
        }
        try {
            FileTrees.delete(pod);
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "cannot delete " + pod + ": " + e.getMessage(), e);
        }
        LOG.debug("removed the pinned namespaces of pod sandbox {}", sandboxId);
    }

    /** The sandbox ids with a directory here, pinned or not, sorted: what a restarted daemon cleans up from. */
    public List<String> list() {
        return NamespacePins.list(dir, "");
    }

    private String undo(String sandboxId) {
        try {
            remove(sandboxId);
            return "";
        } catch (RuntimeException e) {
            return " (and undoing it failed: " + e.getMessage() + ")";
        }
    }

    private static String validId(String sandboxId) {
        return NamespacePins.validId(sandboxId, "pinned namespaces");
    }
}
