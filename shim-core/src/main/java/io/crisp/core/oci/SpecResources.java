package io.crisp.core.oci;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** linux.resources (cpu, memory, hugepages, unified, device rules) and linux.devices of a spec. */
final class SpecResources {
    private static final Logger log = LoggerFactory.getLogger(SpecResources.class);

    private final HostFacts host;
    private final AtomicBoolean warnedUnified = new AtomicBoolean();

    SpecResources(HostFacts host) {
        this.host = host;
    }

    /** The cpu, memory, hugepageLimits and unified parts of linux.resources; unset values are left out. */
    ObjectNode resources(ResourceSettings r) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ObjectNode cpu = JsonNodeFactory.instance.objectNode();
        if (r.cpuShares() > 0) {
            cpu.put("shares", r.cpuShares());
        }
        if (r.cpuQuota() != 0) {
            cpu.put("quota", r.cpuQuota());
        }
        if (r.cpuPeriod() > 0) {
            cpu.put("period", r.cpuPeriod());
        }
        if (!r.cpusetCpus().isEmpty()) {
            cpu.put("cpus", r.cpusetCpus());
        }
        if (!r.cpusetMems().isEmpty()) {
            cpu.put("mems", r.cpusetMems());
        }
        if (!cpu.isEmpty()) {
            out.set("cpu", cpu);
        }
        ObjectNode memory = JsonNodeFactory.instance.objectNode();
        if (r.memoryLimitInBytes() > 0) {
            memory.put("limit", r.memoryLimitInBytes());
        }
        if (r.memorySwapLimitInBytes() != 0) {
            memory.put("swap", r.memorySwapLimitInBytes());
        }
        if (!memory.isEmpty()) {
            out.set("memory", memory);
        }
        if (!r.hugepageLimits().isEmpty()) {
            ArrayNode pages = out.putArray("hugepageLimits");
            r.hugepageLimits().forEach((size, limit) -> pages.addObject().put("pageSize", size).put("limit", limit));
        }
        if (!r.unified().isEmpty()) {
            if (host.cgroupV2()) {
                ObjectNode unified = out.putObject("unified");
                r.unified().forEach(unified::put);
            } else if (warnedUnified.compareAndSet(false, true)) {
                log.warn("this node uses cgroup v1: ignoring the cgroup v2 'unified' resources {}", r.unified().keySet());
            }
        }
        return out;
    }

    /**
     * Adds linux.devices and the linux.resources.devices rules: deny all, then mknod for any device, the
     * devices every container gets and the CRI devices; privileged: allow everything.
     */
    void devices(ObjectNode linux, ObjectNode resources, List<DeviceSettings> devices, boolean privileged) {
        devices(linux, resources, devices, privileged, false);
    }

    /**
     * As above; with {@code hostDevices} a privileged container also gets every device node of the host's
     * /dev (CRI-O's and containerd's behaviour) after the CRI devices; a privileged container without
     * them keeps the device rules of an unprivileged one (containerd's privileged_without_host_devices).
     */
    void devices(ObjectNode linux, ObjectNode resources, List<DeviceSettings> devices, boolean privileged, boolean hostDevices) {
        boolean allowAll = privileged && hostDevices;
        ArrayNode rules = resources.putArray("devices");
        if (allowAll) {
            rules.addObject().put("allow", true).put("access", "rwm");
        } else {
            rules.addObject().put("allow", false).put("access", "rwm");
            rule(rules, "c", -1, -1, "m");
            rule(rules, "b", -1, -1, "m");
            int[][] standard = {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}};
            for (int[] d : standard) {
                rule(rules, "c", d[0], d[1], "rwm");
            }
            rule(rules, "c", 136, -1, "rwm");
        }
        ArrayNode list = linux.putArray("devices");
        Set<String> paths = new HashSet<>();
        for (int i = 0; i < devices.size(); i++) {
            DeviceSettings d = devices.get(i);
            for (DeviceNodes.Node node : nodes(d, i)) {
                add(list, node, 0, 0);
                paths.add(node.containerPath());
                if (!allowAll) {
                    rule(rules, node.type(), node.major(), node.minor(), d.permissions());
                }
            }
        }
        if (allowAll) {
            for (DeviceNodes.Node node : DeviceNodes.host(Path.of("/dev"))) {
                if (paths.add(node.containerPath())) {
                    add(list, node, node.uid(), node.gid());
                }
            }
        }
    }

    private static void add(ArrayNode list, DeviceNodes.Node node, int uid, int gid) {
        list.addObject().put("path", node.containerPath()).put("type", node.type()).put("major", node.major())
                .put("minor", node.minor()).put("fileMode", node.mode() & 07777).put("uid", uid).put("gid", gid);
    }

    private static List<DeviceNodes.Node> nodes(DeviceSettings d, int index) {
        String field = "config.devices[" + index + "].host_path";
        Path hostPath = Path.of(d.hostPath());
        List<DeviceNodes.Node> out = new ArrayList<>();
        try {
            if (Files.isDirectory(hostPath)) {
                try (Stream<Path> walk = Files.walk(hostPath)) {
                    for (Path p : walk.filter(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
                        DeviceNodes.Node n = linked(p, d.containerPath() + "/" + hostPath.relativize(p));
                        if (n != null) {
                            out.add(n);
                        }
                    }
                }
                return out;
            }
            DeviceNodes.Node n = DeviceNodes.stat(hostPath.toRealPath(), d.containerPath());
            if (n == null) {
                throw BackendException.invalidArgument("%s: %s is not a character or block device", field, hostPath);
            }
            return List.of(n);
        } catch (IOException e) {
            throw BackendException.invalidArgument("%s: cannot stat %s: %s", field, hostPath, e.getMessage());
        }
    }

    /** The node a directory entry is or links to; null for anything else, a broken link included. */
    private static DeviceNodes.Node linked(Path p, String containerPath) {
        try {
            return DeviceNodes.stat(p.toRealPath(), containerPath);
        } catch (IOException e) {
            return null;
        }
    }

    /** A rule allowing {@code access} to a device type; a negative major or minor stands for any. */
    static void rule(ArrayNode rules, String type, long major, long minor, String access) {
        ObjectNode r = rules.addObject().put("allow", true).put("type", type);
        if (major >= 0) {
            r.put("major", major);
        }
        if (minor >= 0) {
            r.put("minor", minor);
        }
        r.put("access", access);
    }
}
