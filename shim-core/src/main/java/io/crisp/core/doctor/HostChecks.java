package io.crisp.core.doctor;

import io.crisp.core.config.CrispConfig;
import io.crisp.core.network.cni.CniNetwork;
import io.crisp.spi.NodeCheck;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The checks of this node that every handler shares, for {@code crisp doctor}: overlayfs (the core
 * mounts each container's root file system with it), the CNI config and the plugins it names (the
 * same test as the daemon's NetworkReady condition), free space under the root and state
 * directories, and the CRI socket's directory. The handlers' own checks come from their plugins.
 */
public final class HostChecks {
    /** Below this much free space under {@code root} (images, container layers) pods fail to start. */
    static final long ROOT_FAIL_BYTES = 512L << 20;
    /** Below this much under {@code root}, an image pull or two may fill the disk. */
    static final long ROOT_WARN_BYTES = 2L << 30;
    /** {@code state} holds small files (bundles, exit files, sockets), usually on a tmpfs. */
    static final long STATE_FAIL_BYTES = 16L << 20;
    static final long STATE_WARN_BYTES = 64L << 20;

    private final Path hostRoot;

    private HostChecks(Path hostRoot) {
        this.hostRoot = hostRoot;
    }

    public static HostChecks system() {
        return new HostChecks(Path.of("/"));
    }

    /** Reads {@code proc/} and {@code lib/modules/} under {@code root} (tests); directories of the config stay as they are. */
    static HostChecks under(Path root) {
        return new HostChecks(root);
    }

    public List<NodeCheck> run(CrispConfig config) {
        List<NodeCheck> checks = new ArrayList<>();
        checks.add(overlayfs());
        checks.addAll(cni(config));
        checks.add(space("disk space (root)", config.root(), ROOT_FAIL_BYTES, ROOT_WARN_BYTES));
        checks.add(space("disk space (state)", config.state(), STATE_FAIL_BYTES, STATE_WARN_BYTES));
        checks.add(socketDir(config.listen(), CrispConfig.socketPathOf(config.listen())));
        return checks;
    }

    NodeCheck overlayfs() {
        try {
            boolean listed = Files.readAllLines(hostRoot.resolve("proc/filesystems")).stream()
                    .map(String::trim).anyMatch(l -> l.equals("overlay") || l.endsWith("\toverlay") || l.endsWith(" overlay"));
            if (listed) {
                return NodeCheck.ok("overlayfs", "overlay in /proc/filesystems");
            }
        } catch (IOException e) {
            return NodeCheck.fail("overlayfs", "OverlayfsUnavailable", "cannot read /proc/filesystems: " + e.getMessage(), "mount /proc");
        }
        Path modules = hostRoot.resolve("lib/modules").resolve(kernelRelease()).resolve("kernel/fs/overlayfs");
        if (Files.isDirectory(modules)) {
            return NodeCheck.warn("overlayfs", "not in /proc/filesystems, but the module is installed (" + modules
                    + "): the kernel loads it at the first mount", "modprobe overlay, and list it in /etc/modules-load.d/crisp.conf");
        }
        return NodeCheck.fail("overlayfs", "OverlayfsUnavailable", "overlay is not in /proc/filesystems and no overlay module is installed"
                + " for kernel " + kernelRelease() + "; container root file systems are overlay mounts",
                "modprobe overlay, or boot a kernel built with CONFIG_OVERLAY_FS");
    }

    private String kernelRelease() {
        try {
            return Files.readString(hostRoot.resolve("proc/sys/kernel/osrelease")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The CNI config and its plugins, judged by the daemon's own loader ({@link CniNetwork}). */
    static List<NodeCheck> cni(CrispConfig config) {
        try (CniNetwork network = new CniNetwork(config.cniConfDir(), config.cniBinDirs(), config.root().resolve("cni").resolve("results"))) {
            if (network.config().isEmpty()) {
                return List.of(NodeCheck.fail("CNI config", "CniConfigMissing", "no valid CNI network config in " + config.cniConfDir(),
                        "install one (packaging/cni/10-crisp-bridge.conflist is an example) or set cni_conf_dir"));
            }
            List<NodeCheck> checks = new ArrayList<>();
            checks.add(NodeCheck.ok("CNI config", "network \"" + network.config().get().name() + "\" in " + config.cniConfDir()));
            String missing = network.notReadyMessage();
            if (missing.isEmpty()) {
                checks.add(NodeCheck.ok("CNI plugins", String.join(" ", network.pluginTypes()) + " in " + config.cniBinDirs()));
            } else {
                checks.add(NodeCheck.fail("CNI plugins", "CniPluginMissing", missing,
                        "apt-get install containernetworking-plugins, or set cni_bin_dir to where the plugins are"));
            }
            return checks;
        }
    }

    /** Free space for unprivileged use where {@code dir} is (or will be: its nearest existing ancestor). */
    static NodeCheck space(String name, Path dir, long failBelow, long warnBelow) {
        Path existing = dir.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return NodeCheck.fail(name, "DiskSpaceUnknown", "no existing directory above " + dir, "create " + dir);
        }
        long free;
        try {
            free = Files.getFileStore(existing).getUsableSpace();
        } catch (IOException e) {
            return NodeCheck.fail(name, "DiskSpaceUnknown", "cannot read the free space of " + existing + ": " + e.getMessage(),
                    "check that " + existing + " is mounted and readable");
        }
        String detail = dir + ": " + bytes(free) + " free";
        if (free < failBelow) {
            return NodeCheck.fail(name, "DiskSpaceLow", detail + ", less than " + bytes(failBelow),
                    "free space there (crictl rmi --prune removes unused images) or move it to a larger disk");
        }
        if (free < warnBelow) {
            return NodeCheck.warn(name, detail + ", less than " + bytes(warnBelow), "free space there (crictl rmi --prune)");
        }
        return NodeCheck.ok(name, detail);
    }

    /** The directory of the CRI socket: there or creatable; a socket already there answers or is stale. */
    static NodeCheck socketDir(String listen, Path socket) {
        if (socket == null) {
            return NodeCheck.fail("socket directory", "ListenInvalid", "listen \"" + listen + "\" is not a unix socket path",
                    "set [api] listen to unix:///run/crisp/crisp.sock");
        }
        Path dir = socket.getParent();
        if (Files.isDirectory(dir)) {
            if (!Files.isWritable(dir)) {
                return NodeCheck.fail("socket directory", "SocketDirNotWritable", dir + " is not writable", "run crisp as root");
            }
            if (Files.exists(socket)) {
                return answers(socket) ? NodeCheck.ok("socket directory", dir + "; a daemon answers on " + socket)
                        : NodeCheck.warn("socket directory", socket + " exists but nothing answers on it (a daemon that died?)",
                                "start crisp (crisp serve, or systemctl start crisp): it replaces the stale file");
            }
            return NodeCheck.ok("socket directory", dir + " (writable; no daemon listening)");
        }
        Path ancestor = dir.getParent();
        while (ancestor != null && !Files.exists(ancestor)) {
            ancestor = ancestor.getParent();
        }
        if (ancestor == null || !Files.isDirectory(ancestor) || !Files.isWritable(ancestor)) {
            return NodeCheck.fail("socket directory", "SocketDirNotWritable", dir + " does not exist and cannot be created under " + ancestor,
                    "create " + dir + " or set [api] listen elsewhere");
        }
        return NodeCheck.ok("socket directory", dir + " (created at start)");
    }

    private static boolean answers(Path socket) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    static String bytes(long n) {
        if (n >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", n / (double) (1L << 30));
        }
        return String.format(Locale.ROOT, "%d MiB", n >> 20);
    }
}
