package io.crisp.plugin.nspawn;

import com.fasterxml.jackson.databind.JsonNode;
import io.crisp.plugin.kit.seccomp.SeccompCompiler;
import io.crisp.spi.BackendException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Translates a container's {@code config.json} (OCI runtime spec, as the core writes it) into the
 * launch file of an app: what nspawn-oci needs to start the process inside the pod machine.
 *
 * <p>Mapped: root (path, readonly), process (args, env, cwd, user with additional gids, the five
 * capability sets, noNewPrivileges, oomScoreAdj, rlimits), hostname, mounts (bind, tmpfs, proc,
 * devpts, mqueue, sysfs, cgroup, with their propagation), linux.namespaces (network, uts, ipc and pid
 * by path are joined; pid without path is a new pid namespace; mount is always new; cgroup is
 * ignored), linux.devices, maskedPaths and readonlyPaths. Resources go to the cgroup (see
 * {@link CgroupLimits}). Refused with INVALID_ARGUMENT or UNIMPLEMENTED, naming the field: a user
 * namespace, a network/uts/ipc namespace to create, a terminal, an AppArmor or SELinux label, and
 * what {@link SeccompCompiler} cannot compile (a seccomp agent, other architectures than x86_64).
 *
 * <p>linux.seccomp is compiled into {@link #SECCOMP_FILE} in the bundle; crisp-seccomp (the kit's
 * loader, among the helpers mounted in the app) loads it from a descriptor nspawn-oci opens before the
 * app enters its root, and execs the next step. The order follows the kernel's rule, as runc does:
 * a process may load a filter only with no_new_privs or with CAP_SYS_ADMIN. With
 * process.noNewPrivileges the loader runs last, after capsh has set the ids, capabilities and
 * no_new_privs, so the filter sees the app's syscalls only. Without it the app may lack
 * CAP_SYS_ADMIN, so the loader runs first, while the launch still holds every capability, and the
 * filter also covers capsh's own setup calls (setgroups, setresgid, setresuid, capset, prctl,
 * execve), which runc's filter covers likewise and which the default profiles allow. Exec into the
 * app goes through the same chain with the same filter.
 */
final class AppLaunch {
    /** Capability names in kernel order (capability.h), as capsh reads them. */
    static final List<String> CAP_NAMES = List.of("chown", "dac_override", "dac_read_search", "fowner", "fsetid",
            "kill", "setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin",
            "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
            "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease",
            "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
            "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore");

    /** The compiled seccomp filter, in the bundle beside the launch file. */
    static final String SECCOMP_FILE = "nspawn-seccomp.bpf";

    private AppLaunch() {}

    /** The app's seccomp filter compiled from linux.seccomp, or null when the spec has none. */
    static SeccompCompiler.Filter seccomp(JsonNode config) {
        JsonNode seccomp = config.path("linux").path("seccomp");
        return seccomp.isMissingNode() || seccomp.isNull() ? null : SeccompCompiler.compile(seccomp);
    }

    /**
     * @param config the container's config.json
     * @param bundle its bundle directory (a relative root.path is resolved against it)
     * @param nsPath rewrites a namespace path of the spec (the core names the pod's namespaces through
     *     the sandbox's pid, which for this plugin is nspawn's, outside them) to the one to join
     * @param cgroupDirs the app's cgroup directories, one per hierarchy
     * @param helpers the host directory of launch helpers mounted into the app
     * @param lastCap the kernel's highest capability number
     */
    static String translate(JsonNode config, Path bundle, UnaryOperator<String> nsPath, List<Path> cgroupDirs,
            Path helpers, int lastCap) {
        ShellAssignments sh = new ShellAssignments().scalar("KIND", "app");
        JsonNode root = config.path("root");
        String rootPath = text(root.path("path"), "root.path");
        sh.scalar("APP_ROOT", bundle.resolve(rootPath).normalize().toString());
        sh.flag("ROOT_READONLY", root.path("readonly").asBoolean(false));
        sh.scalar("APP_HOSTNAME", config.path("hostname").asText(""));

        JsonNode process = config.path("process");
        if (process.isMissingNode()) {
            throw BackendException.invalidArgument("config.json: process is missing");
        }
        if (process.path("terminal").asBoolean(false)) {
            throw BackendException.unimplemented("nspawn", "CreateContainer with tty (a terminal for the app: nspawn-oci"
                    + " cannot hand conmon a console through its socket)");
        }
        for (String field : List.of("apparmorProfile", "selinuxLabel")) {
            if (!process.path(field).asText("").isEmpty()) {
                throw BackendException.unimplemented("nspawn", "process." + field + " (no LSM labels in the nspawn handler)");
            }
        }
        List<String> args = strings(process.path("args"), "process.args");
        if (args.isEmpty() || args.get(0).isEmpty()) {
            throw BackendException.invalidArgument("config.json: process.args is empty");
        }
        sh.array("APP_ARGS", args);
        sh.array("APP_ENV", strings(process.path("env"), "process.env"));
        String cwd = process.path("cwd").asText("/");
        if (!cwd.startsWith("/")) {
            throw BackendException.invalidArgument("config.json: process.cwd '%s' is not absolute", cwd);
        }
        sh.scalar("APP_CWD", cwd);
        JsonNode user = process.path("user");
        sh.scalar("APP_UID", user.path("uid").asLong(0));
        sh.scalar("APP_GID", user.path("gid").asLong(0));
        List<String> groups = new ArrayList<>();
        user.path("additionalGids").forEach(g -> groups.add(Long.toString(g.asLong())));
        sh.scalar("APP_GROUPS", String.join(",", groups));
        capabilities(sh, process.path("capabilities"), lastCap);
        sh.flag("NO_NEW_PRIVS", process.path("noNewPrivileges").asBoolean(false));
        sh.scalar("OOM_SCORE_ADJ", process.path("oomScoreAdj").asInt(0));
        sh.array("RLIMITS", rlimits(process.path("rlimits")));

        JsonNode linux = config.path("linux");
        namespaces(sh, linux.path("namespaces"), nsPath);
        SeccompCompiler.Filter filter = seccomp(config);
        sh.scalar("SECCOMP_FILTER", filter == null ? "" : bundle.resolve(SECCOMP_FILE).toString());
        sh.scalar("SECCOMP_FLAGS", filter == null ? 0 : filter.flags());
        sh.scalar("ROOT_PROPAGATION", linux.path("rootfsPropagation").asText(""));
        mounts(sh, config.path("mounts"));
        sh.array("MASKED", strings(linux.path("maskedPaths"), "linux.maskedPaths"));
        sh.array("READONLY", strings(linux.path("readonlyPaths"), "linux.readonlyPaths"));
        devices(sh, linux.path("devices"));
        sh.array("CGROUP_DIRS", cgroupDirs.stream().map(Path::toString).toList());
        sh.scalar("HELPERS", helpers.toString());
        return sh.text();
    }

    private static void namespaces(ShellAssignments sh, JsonNode list, UnaryOperator<String> nsPath) {
        String net = "", uts = "", ipc = "", pid = "", pidMode = "host";
        for (JsonNode ns : list) {
            String type = ns.path("type").asText("");
            String path = ns.path("path").asText("");
            switch (type) {
                case "mount", "cgroup" -> { }
                case "network", "uts", "ipc" -> {
                    if (path.isEmpty()) {
                        throw BackendException.invalidArgument("config.json: linux.namespaces: a new %s namespace for an"
                                + " app; apps join the pod machine's", type);
                    }
                    String joined = nsPath.apply(path);
                    switch (type) {
                        case "network" -> net = joined;
                        case "uts" -> uts = joined;
                        default -> ipc = joined;
                    }
                }
                case "pid" -> {
                    if (path.isEmpty()) {
                        pidMode = "new";
                    } else {
                        pid = nsPath.apply(path);
                        pidMode = "join";
                    }
                }
                case "user" -> throw BackendException.unimplemented("nspawn", "linux.namespaces type user (user namespaces)");
                default -> throw BackendException.invalidArgument("config.json: linux.namespaces: unknown type '%s'", type);
            }
        }
        sh.scalar("NS_NET", net).scalar("NS_UTS", uts).scalar("NS_IPC", ipc).scalar("NS_PID", pid)
                .scalar("PID_MODE", pidMode);
    }

    /**
     * capsh's view: the capabilities to drop from the bounding set, a cap_from_text() string for the
     * effective, permitted and inheritable sets (starting from none) and the ambient list.
     */
    static void capabilities(ShellAssignments sh, JsonNode caps, int lastCap) {
        if (caps.isMissingNode() || caps.isNull()) {
            // As runc: no process.capabilities, no change to what the user ids give.
            sh.scalar("CAPS_DROP_BOUNDING", "").scalar("CAPS_TEXT", "").scalar("CAPS_AMBIENT", "");
            return;
        }
        Set<String> bounding = capSet(caps.path("bounding"), "bounding");
        List<String> drop = new ArrayList<>();
        for (int i = 0; i <= lastCap; i++) {
            String name = i < CAP_NAMES.size() ? "cap_" + CAP_NAMES.get(i) : Integer.toString(i);
            if (!bounding.contains(name)) {
                drop.add(name);
            }
        }
        StringBuilder text = new StringBuilder("=");
        for (String[] set : new String[][] {{"effective", "e"}, {"permitted", "p"}, {"inheritable", "i"}}) {
            Set<String> s = capSet(caps.path(set[0]), set[0]);
            if (!s.isEmpty()) {
                text.append(' ').append(String.join(",", s)).append('+').append(set[1]);
            }
        }
        sh.scalar("CAPS_DROP_BOUNDING", String.join(",", drop));
        sh.scalar("CAPS_TEXT", text.toString());
        sh.scalar("CAPS_AMBIENT", String.join(",", capSet(caps.path("ambient"), "ambient")));
    }

    private static Set<String> capSet(JsonNode list, String set) {
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode c : list) {
            String name = c.asText("").toLowerCase(Locale.ROOT);
            if (!name.startsWith("cap_") || !CAP_NAMES.contains(name.substring(4))) {
                throw BackendException.invalidArgument("config.json: process.capabilities.%s: unknown capability '%s'",
                        set, c.asText(""));
            }
            out.add(name);
        }
        return out;
    }

    /** prlimit's options: {@code RLIMIT_NOFILE} soft 1024 hard 4096 is {@code --nofile=1024:4096}. */
    static List<String> rlimits(JsonNode list) {
        Set<String> known = Set.of("as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice",
                "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack");
        List<String> out = new ArrayList<>();
        for (JsonNode r : list) {
            String type = r.path("type").asText("");
            String name = type.startsWith("RLIMIT_") ? type.substring(7).toLowerCase(Locale.ROOT) : "";
            if (!known.contains(name)) {
                throw BackendException.invalidArgument("config.json: process.rlimits: unknown type '%s'", type);
            }
            out.add("--" + name + "=" + Long.toUnsignedString(r.path("soft").asLong()) + ":"
                    + Long.toUnsignedString(r.path("hard").asLong()));
        }
        return out;
    }

    private static void mounts(ShellAssignments sh, JsonNode list) {
        List<String> dst = new ArrayList<>(), type = new ArrayList<>(), src = new ArrayList<>(), opts = new ArrayList<>();
        for (JsonNode m : list) {
            String d = text(m.path("destination"), "mounts[].destination");
            if (!d.startsWith("/") || List.of(d.split("/")).contains("..")) {
                throw BackendException.invalidArgument("config.json: mounts: destination '%s' is not an absolute path"
                        + " inside the root", d);
            }
            List<String> o = strings(m.path("options"), "mounts[].options");
            String t = m.path("type").asText("");
            if (t.isEmpty()) {
                t = o.contains("bind") || o.contains("rbind") ? "bind" : "none";
            }
            dst.add(d);
            type.add(t);
            src.add(m.path("source").asText(t));
            opts.add(String.join(",", o));
        }
        sh.array("MNT_DST", dst).array("MNT_TYPE", type).array("MNT_SRC", src).array("MNT_OPTS", opts);
    }

    private static void devices(ShellAssignments sh, JsonNode list) {
        List<String> path = new ArrayList<>(), type = new ArrayList<>(), major = new ArrayList<>(),
                minor = new ArrayList<>(), mode = new ArrayList<>(), uid = new ArrayList<>(), gid = new ArrayList<>();
        for (JsonNode d : list) {
            String p = text(d.path("path"), "linux.devices[].path");
            String t = d.path("type").asText("");
            if (!List.of("c", "b", "u", "p").contains(t)) {
                throw BackendException.invalidArgument("config.json: linux.devices: %s has type '%s' (c, b, u or p)", p, t);
            }
            path.add(p);
            type.add(t);
            major.add(Long.toString(d.path("major").asLong()));
            minor.add(Long.toString(d.path("minor").asLong()));
            mode.add(Integer.toOctalString(d.path("fileMode").asInt(0666) & 07777));
            uid.add(Long.toString(d.path("uid").asLong(0)));
            gid.add(Long.toString(d.path("gid").asLong(0)));
        }
        sh.array("DEV_PATH", path).array("DEV_TYPE", type).array("DEV_MAJOR", major).array("DEV_MINOR", minor)
                .array("DEV_MODE", mode).array("DEV_UID", uid).array("DEV_GID", gid);
    }

    static List<String> strings(JsonNode list, String field) {
        if (list.isMissingNode() || list.isNull()) {
            return List.of();
        }
        if (!list.isArray()) {
            throw BackendException.invalidArgument("config.json: %s is not a list", field);
        }
        List<String> out = new ArrayList<>();
        list.forEach(n -> out.add(n.asText()));
        return out;
    }

    static String text(JsonNode node, String field) {
        if (!node.isTextual() || node.asText().isEmpty()) {
            throw BackendException.invalidArgument("config.json: %s is missing or empty", field);
        }
        return node.asText();
    }
}
