package io.crisp.plugin.lxc;

import com.fasterxml.jackson.databind.JsonNode;
import io.crisp.spi.BackendException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Translates the core's OCI bundle (config.json, read as a Jackson tree) into an LXC configuration
 * for {@code lxc-execute}, plus what the adapter needs beside it (argv, environment for exec, cgroup
 * directories, the exec user). Pure: the host is asked only through {@link LxcHost}.
 */
final class LxcTranslator {
    /** OCI namespace types and LXC's names for them. */
    private static final Map<String, String> NAMESPACES = Map.of("pid", "pid", "network", "net", "mount", "mnt",
            "ipc", "ipc", "uts", "uts", "user", "user", "cgroup", "cgroup", "time", "time");
    /** Namespaces LXC can share from a path (mount is always new: the rootfs is set up in it). */
    private static final Set<String> SHAREABLE = Set.of("net", "ipc", "uts", "pid", "user", "cgroup", "time");

    /**
     * What the translation needs besides config.json.
     *
     * @param id the sandbox or container id (LXC's container name)
     * @param adapter the installed adapter, run by LXC as the stop hook that records OOM kills
     * @param oomMarker the file the stop hook creates on an OOM kill (conmon's persist-dir "oom")
     * @param namespacePath maps a joined namespace's path (config.json's) onto the one to share
     */
    record Target(String id, Path bundleDir, Path adapter, Path oomMarker, UnaryOperator<String> namespacePath) {}

    /** The files the plugin writes into the bundle. */
    record LxcBundle(List<String> config, List<String> argv, List<String> env, Map<String, String> adapterVars,
            Optional<String> seccomp, List<String> reshare, List<String> sysctls) {}

    private LxcTranslator() {}

    static LxcBundle translate(JsonNode spec, Target target, LxcHost host) {
        String id = target.id();
        String field = "container " + id + ": ";
        if (!spec.isObject()) {
            throw BackendException.invalidArgument("%sconfig.json is not a JSON object", field);
        }
        unsupported(field, spec);
        List<String> c = new ArrayList<>();
        c.add("# Written by the crisp lxc plugin from " + target.bundleDir().resolve("config.json") + "; do not edit.");
        Map<String, String> vars = new LinkedHashMap<>();
        rootfs(field, spec.path("root"), target, c, vars);
        c.add("lxc.console.path = none");
        c.add("lxc.tty.max = 0");
        c.add("lxc.apparmor.profile = " + apparmor(spec.path("process"), host));
        Set<String> cloned = namespaces(field, spec.path("linux").path("namespaces"), target.namespacePath(), c);
        if (cloned.contains("uts") && spec.path("hostname").asText("").length() > 0) {
            c.add("lxc.uts.name = " + line(field + "hostname", spec.path("hostname").asText()));
        }
        LxcMounts.Result mounts = LxcMounts.translate(id, spec, host);
        c.addAll(mounts.lines());
        String cgroup = cgroups(field, spec.path("linux"), id, host, c, vars);
        String memcg = host.cgroupV2() ? "/sys/fs/cgroup/" + cgroup : "/sys/fs/cgroup/memory/" + cgroup;
        c.add("lxc.hook.stop = " + word(field + "adapter path", target.adapter().toString()) + " hook-oom "
                + word(field + "cgroupsPath", memcg) + " " + word(field + "state directory", target.oomMarker().toString()));
        List<String> sysctls = sysctls(field, spec.path("linux").path("sysctl"));
        // Run once LXC mounted everything, before it pivots: sysctls, then a read-only rootfs.
        c.add("lxc.hook.mount = " + word(field + "adapter path", target.adapter().toString()) + " hook-mount "
                + word(field + "bundle path", target.bundleDir().toString()));
        Optional<String> seccomp = LxcSeccomp.policy(id, spec.path("linux").path("seccomp"));
        seccomp.ifPresent(s -> c.add("lxc.seccomp.profile = " + target.bundleDir().resolve(LxcBundleFiles.SECCOMP)));
        JsonNode process = spec.path("process");
        List<String> argv = new ArrayList<>();
        List<String> env = new ArrayList<>();
        process(field, process, c, argv, env, vars);
        return new LxcBundle(List.copyOf(c), List.copyOf(argv), List.copyOf(env), vars, seccomp, List.copyOf(mounts.reshare()),
                sysctls);
    }

    /**
     * A read-only rootfs is made so by a mount hook, once LXC mounted everything into it, as runc
     * does: {@code lxc.rootfs.options = ro} would leave LXC unable to create /dev or mount points.
     */
    /** What the translation has no LXC counterpart for: refused, naming the field, rather than dropped. */
    private static void unsupported(String field, JsonNode spec) {
        for (String hook : List.of("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop")) {
            if (spec.path("hooks").path(hook).size() > 0) {
                throw new BackendException(BackendException.Kind.UNIMPLEMENTED,
                        field + "hooks." + hook + ": OCI hooks are not supported by the LXC backend");
            }
        }
        for (String mapping : List.of("uidMappings", "gidMappings")) {
            if (spec.path("linux").path(mapping).size() > 0) {
                throw new BackendException(BackendException.Kind.UNIMPLEMENTED,
                        field + "linux." + mapping + ": user namespaces with id mappings are not supported by the LXC backend");
            }
        }
    }

    private static void rootfs(String field, JsonNode root, Target target, List<String> c, Map<String, String> vars) {
        String path = root.path("path").asText("");
        if (path.isEmpty()) {
            throw BackendException.invalidArgument("%sroot.path is missing", field);
        }
        Path rootfs = target.bundleDir().resolve(path).normalize();
        c.add("lxc.rootfs.path = dir:" + line(field + "root.path", rootfs.toString()));
        if (root.path("readonly").asBoolean(false)) {
            vars.put("READONLY_ROOTFS", "1");
        }
    }

    private static String apparmor(JsonNode process, LxcHost host) {
        String profile = process.path("apparmorProfile").asText("");
        if (profile.isEmpty() || !host.apparmorEnabled()) {
            return "unconfined";
        }
        return line("apparmorProfile", profile);
    }

    /**
     * Namespaces listed without a path are new, listed with one are shared ({@code lxc.namespace.share.T}),
     * unlisted ones stay the host's (LXC clones only what lxc.namespace.clone lists; it refuses a keep list beside it). Returns the new ones (LXC names).
     */
    private static Set<String> namespaces(String field, JsonNode namespaces, UnaryOperator<String> namespacePath,
            List<String> c) {
        Set<String> cloned = new LinkedHashSet<>();
        Set<String> listed = new LinkedHashSet<>();
        int i = 0;
        for (JsonNode ns : namespaces) {
            String nsField = field + "linux.namespaces[" + i++ + "]";
            String type = ns.path("type").asText("");
            String lxc = NAMESPACES.get(type);
            if (lxc == null) {
                throw BackendException.invalidArgument("%s.type: unknown namespace type '%s'", nsField, type);
            }
            listed.add(lxc);
            String path = ns.path("path").asText("");
            if (path.isEmpty()) {
                cloned.add(lxc);
            } else if (!SHAREABLE.contains(lxc)) {
                throw new BackendException(BackendException.Kind.UNIMPLEMENTED,
                        nsField + ": joining an existing " + type + " namespace is not supported by the LXC backend");
            } else {
                c.add("lxc.namespace.share." + lxc + " = " + line(nsField + ".path", namespacePath.apply(path)));
            }
        }
        if (!listed.contains("mnt")) {
            throw BackendException.invalidArgument("%slinux.namespaces: LXC always runs a container in a new mount namespace",
                    field);
        }
        cloned.add("mnt");
        c.add("lxc.namespace.clone = " + String.join(" ", cloned));
        // A new network namespace gets only its loopback; a shared or kept one is left alone.
        if (cloned.contains("net")) {
            c.add("lxc.net.0.type = empty");
        }
        return cloned;
    }

    /** cgroup placement and limits; returns the container's cgroup (relative, as LXC takes it). */
    private static String cgroups(String field, JsonNode linux, String id, LxcHost host, List<String> c,
            Map<String, String> vars) {
        String path = linux.path("cgroupsPath").asText("");
        if (path.contains(":")) {
            throw new BackendException(BackendException.Kind.UNIMPLEMENTED, field + "linux.cgroupsPath '" + path
                    + "': the systemd cgroup driver (slice:prefix:name) is not supported by the LXC backend; use cgroupfs");
        }
        String relative = cgroupDir(field, id, path);
        int slash = relative.lastIndexOf('/');
        String monitor = (slash < 0 ? "" : relative.substring(0, slash + 1)) + "lxc-monitor-" + id;
        c.add("lxc.cgroup.dir.container = " + relative);
        c.add("lxc.cgroup.dir.monitor = " + monitor);
        String prefix = host.cgroupV2() ? "lxc.cgroup2." : "lxc.cgroup.";
        for (Map.Entry<String, String> e : LxcResources.settings(field + "linux.resources", linux.path("resources"),
                host.cgroupV2(), host.swapAccounting(), true)) {
            c.add(prefix + e.getKey() + " = " + line(field + "linux.resources", e.getValue()));
        }
        vars.put("CGROUP", relative);
        vars.put("MONITOR_CGROUP", monitor);
        return relative;
    }

    private static void process(String field, JsonNode process, List<String> c, List<String> argv, List<String> env,
            Map<String, String> vars) {
        process.path("args").forEach(a -> argv.add(a.asText()));
        if (argv.isEmpty() || argv.get(0).isEmpty()) {
            throw BackendException.invalidArgument("%sprocess.args is empty", field);
        }
        for (String a : argv) {
            if (a.indexOf('\0') >= 0) {
                throw BackendException.invalidArgument("%sprocess.args: an argument contains a NUL byte", field);
            }
        }
        for (JsonNode e : process.path("env")) {
            String kv = e.asText("");
            if (kv.indexOf('=') <= 0) {
                throw BackendException.invalidArgument("%sprocess.env: '%s' is not NAME=VALUE", field, kv);
            }
            c.add("lxc.environment = " + line(field + "process.env", kv));
            env.add(kv);
        }
        String cwd = process.path("cwd").asText("/");
        if (!cwd.startsWith("/")) {
            throw BackendException.invalidArgument("%sprocess.cwd must be absolute, got '%s'", field, cwd);
        }
        c.add("lxc.init.cwd = " + line(field + "process.cwd", cwd));
        JsonNode user = process.path("user");
        long uid = user.path("uid").asLong(0);
        long gid = user.path("gid").asLong(0);
        c.add("lxc.init.uid = " + uid);
        c.add("lxc.init.gid = " + gid);
        List<String> groups = new ArrayList<>();
        user.path("additionalGids").forEach(g -> groups.add(Long.toString(g.asLong())));
        if (!groups.isEmpty()) {
            c.add("lxc.init.groups = " + String.join(",", groups));
        }
        if (process.path("noNewPrivileges").asBoolean(false)) {
            c.add("lxc.no_new_privs = 1");
        }
        JsonNode caps = process.path("capabilities").path("bounding");
        List<String> capNumbers = new ArrayList<>();
        if (!caps.isMissingNode()) {
            List<String> keep = new ArrayList<>();
            caps.forEach(cap -> keep.add(capability(field, cap.asText(""))));
            c.add("lxc.cap.keep = " + (keep.isEmpty() ? "none" : String.join(" ", keep)));
            keep.forEach(k -> {
                int n = CAPABILITIES.indexOf(k);
                if (n >= 0) {
                    capNumbers.add(Integer.toString(n));
                }
            });
        }
        for (JsonNode r : process.path("rlimits")) {
            String type = r.path("type").asText("");
            if (!type.matches("RLIMIT_[A-Z]+")) {
                throw BackendException.invalidArgument("%sprocess.rlimits: unknown type '%s'", field, type);
            }
            c.add("lxc.prlimit." + type.substring(7).toLowerCase(Locale.ROOT) + " = " + limit(r.path("soft")) + ":"
                    + limit(r.path("hard")));
        }
        if (process.path("oomScoreAdj").canConvertToInt()) {
            c.add("lxc.proc.oom_score_adj = " + process.path("oomScoreAdj").asInt());
        }
        vars.put("EXEC_UID", Long.toString(uid));
        vars.put("EXEC_GID", Long.toString(gid));
        vars.put("EXEC_CWD", cwd);
        // For the adapter's exec of a process with supplementary groups, which lxc-attach drops.
        if (!groups.isEmpty()) {
            vars.put("EXEC_GROUPS", String.join(" ", groups));
            vars.put("EXEC_CAPS", caps.isMissingNode() ? "all" : String.join(" ", capNumbers));
            vars.put("EXEC_NNP", process.path("noNewPrivileges").asBoolean(false) ? "1" : "0");
        }
    }

    /**
     * linux.sysctl as (file under /proc/sys, value) pairs. The adapter's mount hook writes them: LXC's
     * own lxc.sysctl comes after proc:mixed made /proc/sys read-only. A key with a slash is a path
     * already (an interface name with dots), else dots separate its parts.
     */
    private static List<String> sysctls(String field, JsonNode sysctl) {
        List<String> pairs = new ArrayList<>();
        sysctl.fields().forEachRemaining(e -> {
            String key = e.getKey();
            if (!key.matches("[A-Za-z0-9_./-]+") || key.contains("..") || key.startsWith("/") || key.startsWith(".")) {
                throw BackendException.invalidArgument("%slinux.sysctl: '%s' is not a sysctl name", field, key);
            }
            pairs.add(key.contains("/") ? key : key.replace('.', '/'));
            pairs.add(line(field + "linux.sysctl." + key, e.getValue().asText()));
        });
        return List.copyOf(pairs);
    }

    /** Capability names (as lxc.cap.keep spells them) by number, 0 to CAP_CHECKPOINT_RESTORE (40). */
    private static final List<String> CAPABILITIES = List.of("chown", "dac_override", "dac_read_search", "fowner", "fsetid",
            "kill", "setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
            "ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot",
            "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
            "mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf",
            "checkpoint_restore");

    private static String capability(String field, String cap) {
        if (!cap.matches("CAP_[A-Z_]+")) {
            throw BackendException.invalidArgument("%sprocess.capabilities: '%s' is not a capability name", field, cap);
        }
        return cap.substring(4).toLowerCase(Locale.ROOT);
    }

    /** An rlimit value; 2^64-1 (RLIM_INFINITY) as LXC spells it. */
    private static String limit(JsonNode n) {
        if (n.isBigInteger() || n.asLong() < 0) {
            return "unlimited";
        }
        return Long.toString(n.asLong());
    }

    /** The container's cgroup as LXC takes it: {@code cgroupsPath} without its leading slash, or one of the plugin's own. */
    static String cgroupDir(String field, String id, String cgroupsPath) {
        String relative = cgroupsPath.isEmpty() ? "crisp-lxc/" + id : trimSlashes(cgroupsPath);
        if (relative.isEmpty() || relative.contains("..") || relative.contains(" ") || relative.contains("\n")) {
            throw BackendException.invalidArgument("%slinux.cgroupsPath '%s' is not a cgroup path", field, cgroupsPath);
        }
        return relative;
    }

    private static String trimSlashes(String path) {
        int start = 0;
        int end = path.length();
        while (start < end && path.charAt(start) == '/') {
            start++;
        }
        while (end > start && path.charAt(end - 1) == '/') {
            end--;
        }
        return path.substring(start, end);
    }

    /** A value that ends the config line: no newline can be in it. */
    static String line(String field, String value) {
        if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
            throw BackendException.invalidArgument("%s: a value holds a line break, which an LXC config cannot", field);
        }
        return value;
    }

    /** A value LXC splits on blanks (a hook's command line): none may be in it. */
    private static String word(String field, String value) {
        if (value.isEmpty() || value.chars().anyMatch(ch -> Character.isWhitespace(ch) || ch == '\'' || ch == '"')) {
            throw BackendException.invalidArgument("%s '%s' must not hold blanks or quotes (LXC runs hooks as a command line)",
                    field, value);
        }
        return value;
    }
}
