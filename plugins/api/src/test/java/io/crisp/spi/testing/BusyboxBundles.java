package io.crisp.spi.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * OCI bundles as the core prepares them, small enough for tests: a rootfs of the host's static
 * busybox with applet links, and a {@code config.json} like {@code io.crisp.core.oci.OciSpecs}
 * writes: the sandbox's infra process gets new pid, mount, network, ipc and uts namespaces; a
 * container gets its own pid and mount namespaces and joins the pod's network, ipc and uts
 * namespaces through {@code /proc/<infra pid>/ns/*}. Both get /proc, /dev, /dev/pts, /dev/shm
 * and /sys, a cgroupsPath under {@link #CGROUP_PARENT} and the CRI annotations.
 */
public final class BusyboxBundles {
    /** The cgroup (below each hierarchy's root) every test sandbox and container is placed under. */
    public static final String CGROUP_PARENT = "/crisp-contract";
    public static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final List<String> APPLETS = List.of("sh", "sleep", "echo", "cat", "head", "tr", "true", "false",
            "ls", "ps", "kill", "wc");
    private static final ObjectMapper JSON = new ObjectMapper();

    private BusyboxBundles() {}

    /** The infra process of sandbox {@code id}: waits until SIGTERM, then exits 0. */
    public static Path sandbox(Path dir, String id) throws IOException {
        ObjectNode spec = base(dir, id, "trap 'exit 0' TERM; while true; do sleep 1; done");
        spec.put("hostname", "contract");
        ArrayNode ns = ((ObjectNode) spec.get("linux")).putArray("namespaces");
        for (String type : List.of("pid", "mount", "network", "ipc", "uts")) {
            ns.addObject().put("type", type);
        }
        ObjectNode annotations = spec.putObject("annotations");
        annotations.put("io.kubernetes.cri.container-type", "sandbox");
        annotations.put("io.kubernetes.cri.sandbox-id", id);
        return write(dir, spec);
    }

    /** Container {@code id} of the sandbox whose infra process is {@code infraPid}, running {@code sh -c script}. */
    public static Path container(Path dir, String id, String sandboxId, OptionalLong infraPid, String script, boolean tty)
            throws IOException {
        ObjectNode spec = base(dir, id, script);
        ((ObjectNode) spec.get("process")).put("terminal", tty);
        ArrayNode ns = ((ObjectNode) spec.get("linux")).putArray("namespaces");
        ns.addObject().put("type", "pid");
        ns.addObject().put("type", "mount");
        for (String type : List.of("network", "ipc", "uts")) {
            ObjectNode n = ns.addObject().put("type", type);
            // A VM backend's infra "pid" is not a host process whose namespaces could be joined.
            infraPid.ifPresent(pid -> n.put("path", "/proc/" + pid + "/ns/" + (type.equals("network") ? "net" : type)));
        }
        ObjectNode annotations = spec.putObject("annotations");
        annotations.put("io.kubernetes.cri.container-type", "container");
        annotations.put("io.kubernetes.cri.sandbox-id", sandboxId);
        annotations.put("io.kubernetes.cri.container-name", "c-" + id);
        return write(dir, spec);
    }

    private static ObjectNode base(Path dir, String id, String script) throws IOException {
        Path rootfs = rootfs(dir.resolve("rootfs"));
        ObjectNode spec = JSON.createObjectNode();
        spec.put("ociVersion", "1.0.2");
        ObjectNode process = spec.putObject("process");
        process.put("terminal", false);
        process.putObject("user").put("uid", 0).put("gid", 0);
        process.putArray("args").add("sh").add("-c").add(script);
        process.putArray("env").add("PATH=/bin").add("GREETING=hello from env");
        process.put("cwd", "/tmp");
        spec.putObject("root").put("path", rootfs.toAbsolutePath().toString()).put("readonly", false);
        ArrayNode mounts = spec.putArray("mounts");
        mount(mounts, "/proc", "proc", "proc", "nosuid", "noexec", "nodev");
        mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
        mount(mounts, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620");
        mount(mounts, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
        mount(mounts, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
        ObjectNode linux = spec.putObject("linux");
        linux.put("cgroupsPath", CGROUP_PARENT + "/" + id);
        linux.putArray("maskedPaths").add("/proc/kcore").add("/proc/keys");
        linux.putArray("readonlyPaths").add("/proc/sys").add("/proc/sysrq-trigger");
        return spec;
    }

    /** Sets the bundle's memory limit ({@code linux.resources.memory.limit}), as the core does for a container's. */
    public static void limitMemory(Path bundle, long bytes) throws IOException {
        Path config = bundle.resolve("config.json");
        ObjectNode spec = (ObjectNode) JSON.readTree(config.toFile());
        ObjectNode linux = spec.has("linux") ? (ObjectNode) spec.get("linux") : spec.putObject("linux");
        ObjectNode resources = linux.has("resources") ? (ObjectNode) linux.get("resources") : linux.putObject("resources");
        resources.putObject("memory").put("limit", bytes);
        write(bundle, spec);
    }

    /** Removes {@link #CGROUP_PARENT} from every cgroup hierarchy (v1) or the unified one (v2), once it is empty. */
    public static void removeCgroupParent() {
        Path root = Path.of("/sys/fs/cgroup");
        List<Path> candidates = new java.util.ArrayList<>(List.of(root.resolve(CGROUP_PARENT.substring(1))));
        try (var hierarchies = Files.list(root)) {
            hierarchies.forEach(h -> candidates.add(h.resolve(CGROUP_PARENT.substring(1))));
        } catch (IOException e) {
            return;
        }
        for (Path cgroup : candidates) {
            try {
                if (Files.isDirectory(cgroup)) {
                    Files.delete(cgroup);
                }
            } catch (IOException e) {
                System.err.println("cannot remove " + cgroup + ": " + e);
            }
        }
    }

    private static void mount(ArrayNode mounts, String destination, String type, String source, String... options) {
        ObjectNode m = mounts.addObject().put("destination", destination).put("type", type).put("source", source);
        ArrayNode o = m.putArray("options");
        for (String option : options) {
            o.add(option);
        }
    }

    /** {@code rootfs/bin/busybox} copied from the host, with one symlink per applet the suite uses. */
    private static Path rootfs(Path rootfs) throws IOException {
        Path bin = Files.createDirectories(rootfs.resolve("bin"));
        for (String d : List.of("proc", "dev", "sys", "tmp", "etc")) {
            Files.createDirectories(rootfs.resolve(d));
        }
        Files.copy(BUSYBOX, bin.resolve("busybox"));
        for (String applet : APPLETS) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        return rootfs;
    }

    private static Path write(Path dir, ObjectNode spec) throws IOException {
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), spec);
        return dir;
    }
}
