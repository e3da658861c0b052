package io.crisp.core.oci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Settings and images for the spec tests, with one field changed at a time. */
final class Fixtures {
    static final HostFacts HOST = new HostFacts(-500, false, Set.of(), false, Capabilities.KNOWN_MASK);
    static final SecurityProfile RUNTIME_DEFAULT = new SecurityProfile(SecurityProfile.Kind.RUNTIME_DEFAULT, "", "f");

    private Fixtures() {}

    static PodSettings pod() {
        return pod(NamespaceMode.POD, NamespaceMode.POD, NamespaceMode.POD, false);
    }

    static PodSettings pod(NamespaceMode network, NamespaceMode pid, NamespaceMode ipc, boolean privileged) {
        return new PodSettings("web", "default", "uid-1", 1, "web-0", "/var/log/pods/default_web_uid-1",
                new DnsSettings(List.of("10.0.0.10"), List.of("default.svc.cluster.local"), List.of("ndots:5")),
                Map.of("app", "web"), Map.of("pod-note", "p"), "", Map.of("net.ipv4.ip_forward", "1", "kernel.shmmax", "100"),
                network, pid, ipc, -1, -1, false, List.of(), privileged, RUNTIME_DEFAULT, SecurityProfile.UNCONFINED,
                ResourceSettings.NONE, ResourceSettings.NONE);
    }

    /** {@link #pod()} with other pod annotations and pod-level linux.resources. */
    static PodSettings pod(Map<String, String> annotations, ResourceSettings resources) {
        PodSettings p = pod();
        return new PodSettings(p.name(), p.namespace(), p.uid(), p.attempt(), p.hostname(), p.logDirectory(), p.dns(),
                p.labels(), annotations, p.cgroupParent(), p.sysctls(), p.networkMode(), p.pidMode(), p.ipcMode(),
                p.runAsUser(), p.runAsGroup(), p.readonlyRootfs(), p.supplementalGroups(), p.privileged(), p.seccomp(),
                p.apparmor(), resources, p.overhead());
    }

    static ContainerSettings container(ContainerSecurity security) {
        return container(security, List.of(), NamespaceMode.POD);
    }

    static ContainerSettings container(ContainerSecurity security, List<MountSettings> mounts, NamespaceMode pid) {
        return new ContainerSettings("app", 0, "docker.io/library/nginx:1", List.of(), List.of(), "",
                List.of(new EnvVar("A", "config")), mounts, List.of(), Map.of("l", "v"), Map.of("ctr-note", "c"),
                "app/0.log", false, false, true, "", pid, pid == NamespaceMode.TARGET ? "other" : "", ResourceSettings.NONE,
                security);
    }

    static ContainerSettings withArgs(List<String> command, List<String> args, String workingDir) {
        ContainerSettings c = container(ContainerSecurity.DEFAULT);
        return new ContainerSettings(c.name(), c.attempt(), c.image(), command, args, workingDir, c.envs(), c.mounts(),
                c.devices(), c.labels(), c.annotations(), c.logPath(), c.stdin(), c.stdinOnce(), c.tty(), c.stopSignal(),
                c.pidMode(), c.pidTargetId(), c.resources(), c.security());
    }

    static ContainerSettings withResources(ResourceSettings resources, List<DeviceSettings> devices) {
        ContainerSettings c = container(ContainerSecurity.DEFAULT);
        return new ContainerSettings(c.name(), c.attempt(), c.image(), c.command(), c.args(), c.workingDir(), c.envs(),
                c.mounts(), devices, c.labels(), c.annotations(), c.logPath(), c.stdin(), c.stdinOnce(), c.tty(),
                c.stopSignal(), c.pidMode(), c.pidTargetId(), resources, c.security());
    }

    /** A security context with the given capabilities, privilege and user fields, the rest default. */
    static ContainerSecurity security(List<String> add, List<String> drop, boolean privileged, long uid, String username,
            long gid, SecurityProfile seccomp) {
        return new ContainerSecurity(add, drop, List.of(), privileged, uid, gid, username, false, List.of(), false,
                List.of(), List.of(), seccomp, SecurityProfile.UNCONFINED);
    }

    static ImageConfigSummary image(String user) {
        return new ImageConfigSummary(user, List.of("PATH=/usr/bin:/bin", "A=image", "B=image"),
                List.of("/docker-entrypoint.sh"), List.of("nginx", "-g", "daemon off;"), "/srv", "SIGQUIT", List.of(),
                Map.of());
    }

    static ImageConfigSummary pause() {
        return new ImageConfigSummary("65535:65535", List.of(), List.of("/pause"), List.of(), "", "", List.of(), Map.of());
    }

    /** A rootfs with /etc/passwd and /etc/group naming root, www (33) and app (1000, also in group extra 2000). */
    static Path rootfs(Path dir) throws IOException {
        Path etc = Files.createDirectories(dir.resolve("etc"));
        Files.writeString(etc.resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/sh\n"
                + "app:x:1000:1000::/home/app:/bin/sh\n");
        Files.writeString(etc.resolve("group"), "root:x:0:\nwww:x:33:\napp:x:1000:\nextra:x:2000:www,app\nstaff:x:50:\n");
        return dir;
    }
}
