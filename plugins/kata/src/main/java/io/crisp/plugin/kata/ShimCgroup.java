package io.crisp.plugin.kata;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a shim into the handler's {@code shim_cgroup}, so the shim (and for Kata the VMM it starts)
 * is accounted there rather than to the daemon: on a unified host one {@code cgroup.procs} write, on
 * cgroup v1 one per mounted hierarchy (the cgroup is created where missing). A failure is logged,
 * not fatal: the pod still runs, only its accounting differs.
 */
final class ShimCgroup {
    private static final Logger LOG = LoggerFactory.getLogger(ShimCgroup.class);
    private static final Path ROOT = Path.of("/sys/fs/cgroup");

    private ShimCgroup() {}

    static void join(long shimPid, String cgroup) {
        join(ROOT, shimPid, cgroup);
    }

    static void join(Path root, long shimPid, String cgroup) {
        String pid = Long.toString(shimPid);
        String relative = cgroup.replaceFirst("^/+", "");
        if (Files.exists(root.resolve("cgroup.controllers"))) {
            write(root.resolve(relative), pid, cgroup);
            return;
        }
        try (DirectoryStream<Path> hierarchies = Files.newDirectoryStream(root)) {
            for (Path h : hierarchies) {
                if (Files.isDirectory(h, LinkOption.NOFOLLOW_LINKS) && Files.exists(h.resolve("cgroup.procs"))) {
                    write(h.resolve(relative), pid, cgroup);
                }
            }
        } catch (IOException e) {
            LOG.warn("shim_cgroup {}: cannot list {}: {}", cgroup, root, e.getMessage());
        }
    }

    private static void write(Path dir, String pid, String cgroup) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("cgroup.procs"), pid);
        } catch (IOException e) {
            LOG.warn("shim_cgroup {}: cannot move shim {} into {}: {}", cgroup, pid, dir, e.getMessage());
        }
    }
}
