package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ContainerConfig;
import io.crisp.cri.v1.ContainerState;
import io.crisp.cri.v1.FilesystemUsage;
import io.crisp.cri.v1.ImageFsInfoRequest;
import io.crisp.cri.v1.ImageFsInfoResponse;
import io.crisp.cri.v1.Int64Value;
import io.crisp.cri.v1.LinuxContainerConfig;
import io.crisp.cri.v1.LinuxContainerSecurityContext;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.SupplementalGroupsPolicy;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a container's process starts with, on a real daemon with runc: the rlimits of the handler's
 * {@code default_ulimits} (the core's default on one handler, a configured value on another), and
 * the groups of {@code supplemental_groups_policy} Merge and Strict. The test image's user alice
 * (1000) is a member of staff (50) in its /etc/group. And ImageFsInfo's container_filesystems: the
 * writable layers a container wrote to, beside the image store.
 */
final class ProcessDefaultsIT {
    @TempDir
    Path dir;

    @Test
    void ulimitsAndSupplementalGroupsInsideRealContainers() throws Exception {
        Pods.requirePrerequisites();
        try (TestNetwork network = TestNetwork.create(dir);
                DaemonProcess daemon = Pods.configure(new DaemonProcess(dir.resolve("daemon")))) {
            daemon.writeDropIn("10-ulimits.toml", """
                    [runtimes.runc-ulimits]
                    plugin = "runc"
                    runtime_root = "%s"
                    default_ulimits = ["nofile=4096:8192", "nproc=500"]
                    """.formatted(daemon.state.resolve("runc")));
            network.writeTo(Pods.cniConfDir(daemon));
            daemon.start();
            Pods.importImages(daemon, dir.resolve("images"));
            CriClient client = daemon.client();
            Path logs = dir.resolve("logs");

            PodSandboxConfig pod = Pods.pod("limits", logs).build();
            String podId = Pods.run(client, pod);
            String script = "echo $(ulimit -n) $(ulimit -Hn) $(ulimit -u)";
            // systemd's 1024:524288, or the daemon's own hard limit when lower (it inherits this JVM's).
            long hard = Math.min(524288, io.crisp.core.oci.Ulimit.ownHardNofile());
            assertEquals(Math.min(1024, hard) + " " + hard, output(client, podId, pod, Pods.container("default", "sh", "-c",
                    "echo $(ulimit -n) $(ulimit -Hn)").build(), logs), "the core's default, not the daemon's limit");
            PodSandboxConfig other = Pods.pod("limits2", logs.resolve("other")).build();
            String otherId = Pods.run(client, other, "runc-ulimits");
            assertEquals("4096 8192 500", output(client, otherId, other, Pods.container("configured", "sh", "-c", script).build(),
                    logs.resolve("other")));

            ContainerConfig.Builder merge = asAlice(Pods.container("merge", "id", "-G"), SupplementalGroupsPolicy.Merge);
            String mergeId = Pods.create(client, podId, pod, merge.build());
            assertEquals(Set.of("1000", "50", "7"), words(output(client, mergeId, logs, "merge")), "Merge adds alice's staff group");
            assertEquals(List.of(7L, 50L), sorted(Pods.status(client, mergeId).getUser().getLinux().getSupplementalGroupsList()));

            ContainerConfig.Builder strict = asAlice(Pods.container("strict", "id", "-G"), SupplementalGroupsPolicy.Strict);
            String strictId = Pods.create(client, podId, pod, strict.build());
            assertEquals(Set.of("1000", "7"), words(output(client, strictId, logs, "strict")), "Strict: run_as_group and supplemental_groups only");
            assertEquals(List.of(7L), Pods.status(client, strictId).getUser().getLinux().getSupplementalGroupsList());

            assertEquals("", output(client, podId, pod, Pods.container("writer", "sh", "-c",
                    "dd if=/dev/zero of=/big bs=1024 count=3072 2>/dev/null").build(), logs));
            ImageFsInfoResponse fs = client.images().imageFsInfo(ImageFsInfoRequest.getDefaultInstance());
            assertEquals(daemon.root.resolve("images").toRealPath().toString(), fs.getImageFilesystems(0).getFsId().getMountpoint());
            assertEquals(1, fs.getContainerFilesystemsCount(), fs.toString());
            FilesystemUsage layers = fs.getContainerFilesystems(0);
            assertEquals(daemon.root.resolve("snapshots").toRealPath().toString(), layers.getFsId().getMountpoint());
            long written = 3072 * 1024;
            assertTrue(layers.getUsedBytes().getValue() >= written && layers.getUsedBytes().getValue() < written + (1 << 20),
                    "the writer's 3 MiB in its upper directory: " + layers);
            assertTrue(layers.getInodesUsed().getValue() >= 1, layers.toString());
            assertTrue(layers.getTimestamp() > 0);
            Pods.removeAll(client);
        }
    }

    private static ContainerConfig.Builder asAlice(ContainerConfig.Builder c, SupplementalGroupsPolicy policy) {
        return c.setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                .setRunAsUser(Int64Value.newBuilder().setValue(1000)).addSupplementalGroups(7).setSupplementalGroupsPolicy(policy)));
    }

    private static String output(CriClient client, String podId, PodSandboxConfig pod, ContainerConfig config, Path logDir) {
        String id = Pods.create(client, podId, pod, config);
        return output(client, id, logDir, config.getMetadata().getName());
    }

    /** Starts the created container, waits for its exit and returns its stdout (CRI log lines' text). */
    private static String output(CriClient client, String id, Path logDir, String name) {
        client.runtime().startContainer(io.crisp.cri.v1.StartContainerRequest.newBuilder().setContainerId(id).build());
        assertEquals(0, Pods.awaitState(client, id, ContainerState.CONTAINER_EXITED, 30).getExitCode());
        String log = Pods.read(logDir.resolve(name + "/0.log"));
        return log.lines().map(l -> l.split(" ", 4)).filter(f -> f.length == 4).map(f -> f[3]).collect(Collectors.joining("\n"));
    }

    private static Set<String> words(String text) {
        return Set.of(text.trim().split("\\s+"));
    }

    private static List<Long> sorted(List<Long> values) {
        return values.stream().sorted().toList();
    }
}
