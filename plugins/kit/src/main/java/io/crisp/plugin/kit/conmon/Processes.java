package io.crisp.plugin.kit.conmon;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** Host processes by pid, read from /proc; no fork. */
final class Processes {
    /** How long {@link #killTree} kills leaves first before it kills what is left at once. */
    private static final Duration TREE_KILL_PATIENCE = Duration.ofSeconds(5);
    /** How long a round of {@link #killTree} waits for the killed leaves' parents to reap them. */
    private static final Duration REAP_WAIT = Duration.ofMillis(500);

    private Processes() {}

    /**
     * Whether {@code pid} runs and one of its arguments is {@code arg}: guards against a recycled
     * pid. A zombie has an empty command line and counts as gone.
     */
    static boolean aliveWithArg(OptionalLong pid, String arg) {
        if (pid.isEmpty()) {
            return false;
        }
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid.getAsLong()), "cmdline"));
            return Arrays.asList(new String(raw, StandardCharsets.UTF_8).split("\0")).contains(arg);
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether {@code pid} exists and is not a zombie. */
    static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    /** SIGKILL to any process the daemon may signal; false if it was already gone. */
    static boolean kill(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly).orElse(false);
    }

    /**
     * SIGKILL to every process below {@code pid}, leaves first, then to {@code pid}. Each round kills
     * the living descendants that have no living child and gives their parents (alive still) a moment
     * to reap them; a process killed before its children would leave them to the reaper of the pid
     * namespace, on the host its PID 1, which may never reap them. The tree is read from /proc again
     * each round, so a child forked meanwhile is found; after {@link #TREE_KILL_PATIENCE} the rest is
     * killed at once, deepest first. The caller reaps {@code pid} if it is its child.
     */
    static void killTree(long pid) {
        long deadline = System.nanoTime() + TREE_KILL_PATIENCE.toNanos();
        while (true) {
            Map<Long, Long> parents = livingParents();
            List<Long> below = below(pid, parents);
            if (below.isEmpty()) {
                break;
            }
            if (System.nanoTime() > deadline) {
                below.forEach(Processes::kill); // deepest first
                break;
            }
            Set<Long> withChildren = new HashSet<>(parents.values());
            List<Long> leaves = below.stream().filter(p -> !withChildren.contains(p)).toList();
            leaves.forEach(Processes::kill);
            awaitReaped(leaves, REAP_WAIT);
        }
        kill(pid);
    }

    /** The living (not zombie) processes' parents, from /proc/PID/stat: pid to ppid. */
    static Map<Long, Long> livingParents() {
        Map<Long, Long> parents = new HashMap<>();
        File[] entries = new File("/proc").listFiles();
        if (entries == null) {
            return parents;
        }
        for (File entry : entries) {
            String name = entry.getName();
            if (name.isEmpty() || !name.chars().allMatch(Character::isDigit)) {
                continue;
            }
            try {
                String stat = Files.readString(entry.toPath().resolve("stat"));
                int close = stat.lastIndexOf(')');
                String[] fields = stat.substring(close + 2).split(" ", 3); // state, ppid, rest
                if (!fields[0].equals("Z")) {
                    parents.put(Long.parseLong(name), Long.parseLong(fields[1]));
                }
            } catch (IOException | RuntimeException e) {
                // gone meanwhile, or unreadable: not ours to kill
            }
        }
        return parents;
    }

    /** The living descendants of {@code root}, deepest first. */
    private static List<Long> below(long root, Map<Long, Long> parents) {
        Map<Long, List<Long>> children = new HashMap<>();
        parents.forEach((child, parent) -> children.computeIfAbsent(parent, k -> new ArrayList<>()).add(child));
        List<Long> topDown = new ArrayList<>();
        ArrayDeque<Long> next = new ArrayDeque<>(children.getOrDefault(root, List.of()));
        while (!next.isEmpty() && topDown.size() < parents.size()) {
            long p = next.removeFirst();
            topDown.add(p);
            next.addAll(children.getOrDefault(p, List.of()));
        }
        Collections.reverse(topDown);
        return topDown;
    }

    /** Waits until every pid in {@code pids} is gone from /proc (reaped), at most {@code timeout}. */
    private static void awaitReaped(List<Long> pids, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (pids.stream().anyMatch(p -> Files.exists(Path.of("/proc", Long.toString(p)))) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /** Waits until {@code pid} is gone (or a zombie); true if it went within {@code timeout}. */
    static boolean awaitGone(long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        // conmon exits a millisecond or two after its container: a first short pause catches that.
        long pause = TimeUnit.MILLISECONDS.toNanos(1);
        while (alive(pid)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(10));
        }
        return true;
    }
}
