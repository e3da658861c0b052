package io.crisp.plugin.lxc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.plugin.kit.Json;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The running container's cgroup seen from the plugin: resource updates and namespace paths. */
final class LxcCgroups {
    private static final ObjectMapper JSON = Json.MAPPER;
    private static final Pattern PROC_NS = Pattern.compile("/proc/([0-9]+)/ns/([a-z_]+)");

    private LxcCgroups() {}

    /**
     * Writes OCI {@code linux.resources} (as UpdateContainerResources gives them) into the container's
     * cgroup, where LXC put it ({@code lxc.cgroup.dir.container}).
     */
    static void update(String id, String cgroup, String resourcesJson, LxcHost host) {
        JsonNode resources;
        try {
            resources = JSON.readTree(resourcesJson);
        } catch (IOException e) {
            throw BackendException.invalidArgument("container %s: the resources are not JSON: %s", id, e.getMessage());
        }
        List<Map.Entry<String, String>> settings = LxcResources.settings("container " + id + ": linux.resources", resources,
                host.cgroupV2(), host.swapAccounting(), false);
        for (Map.Entry<String, String> s : settings) {
            Path file = file(cgroup, s.getKey(), host);
            try {
                Files.writeString(file, s.getValue());
            } catch (IOException first) {
                // v1: a lower memory limit than memsw is refused; raise or lower memsw first, then retry.
                if (s.getKey().equals("memory.limit_in_bytes") && retryAfterSwap(cgroup, s.getValue(), settings, host)) {
                    continue;
                }
                throw new BackendException(Kind.INTERNAL, "container " + id + ": cannot write " + s.getValue() + " to " + file
                        + ": " + first.getMessage(), first);
            }
        }
    }

    private static boolean retryAfterSwap(String cgroup, String limit, List<Map.Entry<String, String>> settings, LxcHost host) {
        String swap = settings.stream().filter(e -> e.getKey().equals("memory.memsw.limit_in_bytes")).map(Map.Entry::getValue)
                .findFirst().orElse(limit);
        try {
            Files.writeString(file(cgroup, "memory.memsw.limit_in_bytes", host), swap);
            Files.writeString(file(cgroup, "memory.limit_in_bytes", host), limit);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code /sys/fs/cgroup/CONTROLLER/CGROUP/FILE} on v1, {@code /sys/fs/cgroup/CGROUP/FILE} on v2. */
    static Path file(String cgroup, String name, LxcHost host) {
        Path root = Path.of("/sys/fs/cgroup");
        if (host.cgroupV2()) {
            return root.resolve(cgroup).resolve(name);
        }
        String controller = name.substring(0, name.indexOf('.'));
        return root.resolve(controller).resolve(cgroup).resolve(name);
    }

    /**
     * A joined namespace's path as config.json gives it ({@code /proc/PID/ns/TYPE} of the sandbox's
     * reported pid) onto the process that is in that namespace: the pid conmon watches is LXC's
     * monitor (lxc-execute, in the host's namespaces), whose child init.lxc is in the pod's.
     */
    static String namespacePath(String path) {
        Matcher m = PROC_NS.matcher(path);
        if (!m.matches()) {
            return path;
        }
        String pid = m.group(1);
        try {
            String comm = Files.readString(Path.of("/proc", pid, "comm")).trim();
            if (!comm.equals("lxc-execute")) {
                return path;
            }
            String children = Files.readString(Path.of("/proc", pid, "task", pid, "children")).trim();
            if (children.isEmpty()) {
                throw BackendException.failedPrecondition("%s: LXC monitor %s has no container init", path, pid);
            }
            return "/proc/" + children.split(" ")[0] + "/ns/" + m.group(2);
        } catch (IOException e) {
            throw BackendException.failedPrecondition("%s: process %s is gone (%s)", path, pid, e.getMessage());
        }
    }
}
