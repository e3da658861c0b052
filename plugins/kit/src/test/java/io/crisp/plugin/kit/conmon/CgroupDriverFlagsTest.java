package io.crisp.plugin.kit.conmon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where {@code --systemd-cgroup} goes: a global option of the runtime, before the command, on every
 * call the backend makes (start, kill, delete, update, exec), and conmon's own flag. The runc tests
 * (SystemdCgroupTest) check the calls that really reach runc and conmon.
 */
final class CgroupDriverFlagsTest {
    private static final OciCliConfig CGROUPFS = new OciCliConfig(Path.of("/usr/sbin/runc"), Path.of("/run/r"), Path.of("/usr/bin/conmon"));

    @TempDir
    Path stateDir;

    @Test
    void systemdPutsTheGlobalFlagFirstOnEveryRuntimeCall() {
        RuntimeCli cli = new RuntimeCli(CGROUPFS.withSystemdCgroup());
        assertEquals(List.of("/usr/sbin/runc", "--systemd-cgroup", "--root", "/run/r"), cli.base());
        Path pid = Path.of("/x/exec.pid");
        assertEquals(List.of("/usr/sbin/runc", "--systemd-cgroup", "--root", "/run/r", "exec", "--pid-file", "/x/exec.pid", "c1", "id"),
                new ExecRunner(cli).command("c1", pid, List.of("id"), false));
    }

    @Test
    void cgroupfsHasNoFlag() {
        assertEquals(List.of("/usr/sbin/runc", "--root", "/run/r"), new RuntimeCli(CGROUPFS).base());
        List<String> conmon = new ConmonLauncher(CGROUPFS, new ContainerFiles(stateDir))
                .command("c1", "n", Path.of("/b"), Path.of("/l"), Tracked.Stdio.NONE);
        assertFalse(conmon.contains("--systemd-cgroup"), conmon.toString());
    }

    @Test
    void systemdGivesConmonItsFlagOnce() {
        List<String> conmon = new ConmonLauncher(CGROUPFS.withSystemdCgroup(), new ContainerFiles(stateDir))
                .command("c1", "n", Path.of("/b"), Path.of("/l"), Tracked.Stdio.NONE);
        // conmon hands --systemd-cgroup on to the runtime's create itself.
        assertEquals(1, conmon.stream().filter(a -> a.contains("systemd")).count(), conmon.toString());
        assertEquals("--log-level", conmon.get(conmon.indexOf("--systemd-cgroup") - 2));
    }
}
