package io.crisp.plugin.kit.conmon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Processes#killTree} on a real tree: a shell with two children and a subshell with two more.
 * On the hosts crisp runs on PID 1 may not reap, so a killed process whose children were orphaned
 * leaves them as zombies for good; everything must be gone, reaped by its own parent.
 */
final class ProcessesTest {
    private Process shell;

    @AfterEach
    void cleanUp() throws Exception {
        if (shell != null && shell.isAlive()) {
            shell.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            shell.destroyForcibly();
            shell.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aTreeIsKilledLeavesFirstAndLeavesNoZombie() throws Exception {
        shell = new ProcessBuilder("sh", "-c", "sleep 1000 & sleep 1000 & (sleep 1000 & sleep 1000 & wait) & wait")
                .redirectErrorStream(true).start();
        long root = shell.pid();
        Set<Long> tree = awaitTree(root, 5);

        Processes.killTree(root);

        assertTrue(shell.waitFor(10, TimeUnit.SECONDS), "the shell is gone");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (tree.stream().anyMatch(ProcessesTest::inProc) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        List<String> left = tree.stream().filter(ProcessesTest::inProc).map(ProcessesTest::describe).toList();
        assertEquals(List.of(), left, "every process of the tree is dead and reaped (no zombie handed to PID 1)");
        assertEquals(Map.of(), Processes.livingParents().entrySet().stream().filter(e -> e.getValue() == root)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)), "nothing runs under the killed shell's pid");
    }

    @Test
    void killingALoneProcessOrAGoneOneIsFine() throws Exception {
        shell = new ProcessBuilder("sleep", "1000").start();
        Processes.killTree(shell.pid());
        assertTrue(shell.waitFor(10, TimeUnit.SECONDS));
        Processes.killTree(shell.pid()); // gone: nothing to do, no throw
    }

    /** The shell's descendants once there are {@code count} of them. */
    private static Set<Long> awaitTree(long root, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Set<Long> tree = ProcessHandle.of(root).orElseThrow().descendants().map(ProcessHandle::pid).collect(Collectors.toSet());
            if (tree.size() >= count) {
                return tree;
            }
            assertTrue(System.nanoTime() < deadline, "the shell started " + count + " processes: " + tree);
            Thread.sleep(20);
        }
    }

    private static boolean inProc(long pid) {
        return Files.exists(Path.of("/proc", Long.toString(pid)));
    }

    private static String describe(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 3);
            return stat.substring(0, stat.lastIndexOf(')') + 1) + " state " + after[0] + " ppid " + after[1];
        } catch (Exception e) {
            return pid + ": gone";
        }
    }
}
