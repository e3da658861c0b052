package io.crisp.core.oci;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The mounts array of a spec: the standard kernel filesystems, the pod's shared files, then the CRI
 * mounts, one per destination (a CRI mount over /etc/hosts replaces the pod's file).
 */
final class SpecMounts {
    private final Map<String, ObjectNode> byDestination = new LinkedHashMap<>();
    private final ArrayNode factory;
    private String rootfsPropagation = "";

    SpecMounts(ArrayNode factory) {
        this.factory = factory;
    }

    /** /proc, /dev, /dev/pts, /dev/mqueue, /sys (read-only unless privileged), /sys/fs/cgroup. */
    SpecMounts standard(boolean privileged) {
        add("/proc", "proc", "proc", "nosuid", "noexec", "nodev");
        add("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
        add("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5");
        add("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
        String access = privileged ? "rw" : "ro";
        add("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", access);
        add("/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", access);
        return this;
    }

    /** /dev/shm from the pod (or the host's for ipc NODE) and the pod's hostname, hosts, resolv.conf. */
    SpecMounts podFiles(PodFiles files, boolean hostIpc, boolean readonly) {
        bind("/dev/shm", hostIpc ? "/dev/shm" : files.shm().toString(), false, "rprivate", "nosuid", "nodev", "noexec");
        bind("/etc/hostname", files.hostname().toString(), readonly, "rprivate");
        bind("/etc/hosts", files.hosts().toString(), readonly, "rprivate");
        bind("/etc/resolv.conf", files.resolvConf().toString(), readonly, "rprivate");
        return this;
    }

    /**
     * The CRI mounts, parents before children; a missing host path is created as a directory. Sets the
     * rootfs propagation to rslave or rshared when a mount asks for it.
     */
    SpecMounts cri(List<MountSettings> mounts) {
        List<MountSettings> sorted = new ArrayList<>(mounts);
        sorted.sort(Comparator.comparingInt(m -> depth(m.containerPath())));
        for (int i = 0; i < sorted.size(); i++) {
            MountSettings m = sorted.get(i);
            Path host = Path.of(m.hostPath());
            if (!Files.exists(host)) {
                try {
                    Files.createDirectories(host);
                } catch (IOException e) {
                    throw BackendException.invalidArgument("config.mounts: cannot create missing host path %s: %s",
                            host, e.getMessage());
                }
            }
            String propagation = switch (m.propagation()) {
                case "rshared" -> "rshared";
                case "rslave" -> "rslave";
                default -> "rprivate";
            };
            if (propagation.equals("rshared") || (propagation.equals("rslave") && rootfsPropagation.isEmpty())) {
                rootfsPropagation = propagation;
            }
            if (m.recursiveReadOnly()) {
                bind(m.containerPath(), m.hostPath(), true, propagation, "rro");
            } else {
                bind(m.containerPath(), m.hostPath(), m.readOnly(), propagation);
            }
        }
        return this;
    }

    /** "" when no mount needs it, else rslave or rshared. */
    String rootfsPropagation() {
        return rootfsPropagation;
    }

    ArrayNode toJson() {
        ArrayNode out = factory.arrayNode();
        byDestination.values().forEach(out::add);
        return out;
    }

    private void bind(String destination, String source, boolean readonly, String propagation, String... extra) {
        List<String> options = new ArrayList<>(List.of("rbind", propagation));
        options.addAll(List.of(extra));
        options.add(readonly ? "ro" : "rw");
        add(destination, "bind", source, options.toArray(String[]::new));
    }

    private void add(String destination, String type, String source, String... options) {
        ObjectNode m = factory.objectNode();
        m.put("destination", destination).put("type", type).put("source", source);
        ArrayNode o = m.putArray("options");
        for (String option : options) {
            o.add(option);
        }
        String key = Path.of(destination).normalize().toString();
        byDestination.remove(key);
        byDestination.put(key, m);
    }

    private static int depth(String path) {
        return Path.of(path).normalize().getNameCount();
    }
}
