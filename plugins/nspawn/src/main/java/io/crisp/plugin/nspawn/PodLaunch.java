package io.crisp.plugin.nspawn;

import com.fasterxml.jackson.databind.JsonNode;
import io.crisp.spi.BackendException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Translates a sandbox's {@code config.json} into the launch file of the pod machine: one
 * systemd-nspawn on the plugin's stage1 directory whose init holds the pod's ipc, uts and pid
 * namespaces and runs in the pinned network namespace the core created (or the node's network when
 * the spec has no network namespace). The infra image's process is not run: the stage1 init takes
 * its place. The pod's hostname and sysctls are applied to the machine.
 */
final class PodLaunch {
    private static final Pattern SYSCTL = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9_.\\-/]*");

    private PodLaunch() {}

    static String translate(String sandboxId, JsonNode config, Path nspawn, Path stage1, List<Path> cgroupDirs) {
        ShellAssignments sh = new ShellAssignments().scalar("KIND", "pod");
        sh.scalar("NSPAWN", nspawn.toString()).scalar("STAGE1", stage1.toString());
        sh.scalar("MACHINE", machineName(sandboxId));
        sh.scalar("HOSTNAME_", config.path("hostname").asText(""));
        String netns = "";
        boolean network = false;
        for (JsonNode ns : config.path("linux").path("namespaces")) {
            String type = ns.path("type").asText("");
            if (type.equals("network")) {
                network = true;
                netns = ns.path("path").asText("");
            } else if (type.equals("user")) {
                throw BackendException.unimplemented("nspawn", "linux.namespaces type user (user namespaces)");
            }
        }
        sh.scalar("NETNS", netns);
        // A network namespace without path (no CNI: tests, tools): nspawn makes a private one.
        sh.flag("PRIVATE_NETWORK", network && netns.isEmpty());
        List<String> sysctls = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) () -> config.path("linux")
                .path("sysctl").fields()) {
            String key = e.getKey();
            if (!SYSCTL.matcher(key).matches() || key.contains("..")) {
                throw BackendException.invalidArgument("config.json: linux.sysctl: '%s' is not a sysctl name", key);
            }
            if (!network && key.startsWith("net.")) {
                continue;
            }
            sysctls.add(key.replace('.', '/') + "=" + e.getValue().asText());
        }
        sh.array("SYSCTLS", sysctls);
        sh.array("CGROUP_DIRS", cgroupDirs.stream().map(Path::toString).toList());
        return sh.text();
    }

    /** nspawn's machine name (a hostname label): {@code crisp-} and the first 40 characters of the id. */
    static String machineName(String sandboxId) {
        String clean = sandboxId.replaceAll("[^a-zA-Z0-9-]", "-");
        return "crisp-" + (clean.length() > 40 ? clean.substring(0, 40) : clean);
    }
}
