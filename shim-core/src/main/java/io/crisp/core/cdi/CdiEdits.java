package io.crisp.core.cdi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.core.oci.DeviceNodes;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Applies CDI container edits to an OCI spec, as the CDI specification describes them: for each spec
 * file involved, its spec-level {@code containerEdits} once, then each requested device's own. An edit
 * adds environment variables (replacing a variable of the same name), device nodes (with a device
 * cgroup rule allowing their {@code permissions}, "rwm" when unset; type and numbers read from the host
 * node when the spec leaves them out), mounts (replacing a mount at the same destination), hooks and
 * additional group ids. {@code intelRdt} and {@code netDevices} edits are refused as not supported.
 */
public final class CdiEdits {
    private static final Set<String> HOOKS = Set.of("prestart", "createRuntime", "createContainer", "startContainer",
            "poststart", "poststop");

    private CdiEdits() {}

    /**
     * The devices a CreateContainer asks for, each with the field it came from: {@code CDI_devices} first,
     * then the {@code cdi.k8s.io/*} annotations (comma-separated names), each name once.
     */
    public static Map<String, String> requested(List<String> cdiDevices, Map<String, String> annotations) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < cdiDevices.size(); i++) {
            out.putIfAbsent(cdiDevices.get(i).trim(), "config.CDI_devices[" + i + "].name");
        }
        annotations.forEach((key, value) -> {
            if (key.startsWith(CdiRegistry.ANNOTATION_PREFIX)) {
                for (String name : value.split(",")) {
                    if (!name.isBlank()) {
                        out.putIfAbsent(name.trim(), "config.annotations[" + key + "]");
                    }
                }
            }
        });
        return out;
    }

    /** Applies the devices' edits (spec-level edits once per spec file) to {@code spec}. */
    public static void apply(ObjectNode spec, List<CdiRegistry.Device> devices) {
        Set<Path> specsDone = new HashSet<>();
        for (CdiRegistry.Device d : devices) {
            if (specsDone.add(d.file())) {
                edit(spec, d.specEdits(), d.file() + ": containerEdits");
            }
            edit(spec, d.deviceEdits(), d.file() + ": device " + d.qualifiedName() + " containerEdits");
        }
    }

    private static void edit(ObjectNode spec, JsonNode edits, String where) {
        if (edits == null || !edits.isObject()) {
            return;
        }
        for (String unsupported : List.of("intelRdt", "netDevices")) {
            if (edits.hasNonNull(unsupported)) {
                throw BackendException.unimplemented("cdi", where + "." + unsupported + " (CDI " + unsupported + " edits)");
            }
        }
        ObjectNode process = object(spec, "process");
        for (JsonNode env : edits.path("env")) {
            env(process, env.asText(""));
        }
        for (JsonNode gid : edits.path("additionalGIDs")) {
            ArrayNode gids = array(object(process, "user"), "additionalGids");
            boolean present = false;
            for (JsonNode g : gids) {
                present |= g.asLong() == gid.asLong();
            }
            if (!present) {
                gids.add(gid.asLong());
            }
        }
        int i = 0;
        for (JsonNode node : edits.path("deviceNodes")) {
            deviceNode(spec, node, where + ".deviceNodes[" + i++ + "]");
        }
        i = 0;
        for (JsonNode mount : edits.path("mounts")) {
            mount(spec, mount, where + ".mounts[" + i++ + "]");
        }
        i = 0;
        for (JsonNode hook : edits.path("hooks")) {
            hook(spec, hook, where + ".hooks[" + i++ + "]");
        }
    }

    private static void env(ObjectNode process, String kv) {
        int eq = kv.indexOf('=');
        String key = eq < 0 ? kv : kv.substring(0, eq);
        ArrayNode env = array(process, "env");
        for (int j = 0; j < env.size(); j++) {
            String existing = env.get(j).asText("");
            if (existing.equals(key) || existing.startsWith(key + "=")) {
                env.set(j, env.textNode(kv));
                return;
            }
        }
        env.add(kv);
    }

    private static void deviceNode(ObjectNode spec, JsonNode node, String where) {
        String path = node.path("path").asText("");
        if (!path.startsWith("/")) {
            throw BackendException.invalidArgument("%s.path must be an absolute path, got '%s'", where, path);
        }
        String hostPath = node.path("hostPath").asText(path);
        String type = node.path("type").asText("");
        long major = node.path("major").asLong(-1);
        long minor = node.path("minor").asLong(-1);
        int mode = node.path("fileMode").asInt(-1);
        if (type.isEmpty() || (!type.equals("p") && (major < 0 || minor < 0)) || mode < 0) {
            DeviceNodes.Node host;
            try {
                host = DeviceNodes.stat(Path.of(hostPath).toRealPath(), path);
            } catch (IOException e) {
                throw BackendException.invalidArgument("%s: cannot stat the host device %s: %s", where, hostPath, e.getMessage());
            }
            if (host == null) {
                throw BackendException.invalidArgument("%s: %s is not a character or block device", where, hostPath);
            }
            type = type.isEmpty() ? host.type() : type;
            major = major < 0 ? host.major() : major;
            minor = minor < 0 ? host.minor() : minor;
            mode = mode < 0 ? host.mode() & 07777 : mode;
        }
        ObjectNode linux = object(spec, "linux");
        ArrayNode devices = array(linux, "devices");
        for (int j = devices.size() - 1; j >= 0; j--) {
            if (devices.get(j).path("path").asText("").equals(path)) {
                devices.remove(j);
            }
        }
        ObjectNode dev = devices.addObject().put("path", path).put("type", type).put("major", major).put("minor", minor)
                .put("fileMode", mode);
        dev.put("uid", node.path("uid").asLong(0)).put("gid", node.path("gid").asLong(0));
        if (!type.equals("p")) {
            String access = node.path("permissions").asText("");
            array(object(linux, "resources"), "devices").addObject().put("allow", true).put("type", type)
                    .put("major", major).put("minor", minor).put("access", access.isEmpty() ? "rwm" : access);
        }
    }

    private static void mount(ObjectNode spec, JsonNode mount, String where) {
        String hostPath = mount.path("hostPath").asText("");
        String containerPath = mount.path("containerPath").asText("");
        if (hostPath.isEmpty() || !containerPath.startsWith("/")) {
            throw BackendException.invalidArgument("%s needs hostPath and an absolute containerPath, got '%s' and '%s'", where,
                    hostPath, containerPath);
        }
        ArrayNode mounts = array(spec, "mounts");
        for (int j = mounts.size() - 1; j >= 0; j--) {
            if (Path.of(mounts.get(j).path("destination").asText("/")).normalize().equals(Path.of(containerPath).normalize())) {
                mounts.remove(j);
            }
        }
        ObjectNode m = mounts.addObject();
        m.put("destination", containerPath).put("type", mount.path("type").asText("bind")).put("source", hostPath);
        ArrayNode options = m.putArray("options");
        mount.path("options").forEach(o -> options.add(o.asText()));
    }

    private static void hook(ObjectNode spec, JsonNode hook, String where) {
        String name = hook.path("hookName").asText("");
        if (!HOOKS.contains(name)) {
            throw BackendException.invalidArgument("%s.hookName: unknown hook '%s' (one of %s)", where, name, HOOKS);
        }
        String path = hook.path("path").asText("");
        if (!path.startsWith("/")) {
            throw BackendException.invalidArgument("%s.path must be an absolute path, got '%s'", where, path);
        }
        ObjectNode h = array(object(spec, "hooks"), name).addObject().put("path", path);
        for (String list : List.of("args", "env")) {
            if (hook.path(list).isArray()) {
                ArrayNode a = h.putArray(list);
                hook.path(list).forEach(x -> a.add(x.asText()));
            }
        }
        if (hook.path("timeout").isIntegralNumber()) {
            h.put("timeout", hook.path("timeout").asInt());
        }
    }

    private static ObjectNode object(ObjectNode parent, String field) {
        return parent.get(field) instanceof ObjectNode o ? o : parent.putObject(field);
    }

    private static ArrayNode array(ObjectNode parent, String field) {
        return parent.get(field) instanceof ArrayNode a ? a : parent.putArray(field);
    }
}
