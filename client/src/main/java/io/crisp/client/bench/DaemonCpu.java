package io.crisp.client.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * CPU time and context switches of a daemon's threads, JIT compiler threads apart, read from
 * /proc/PID/task/TID/schedstat (nanoseconds on CPU) and status (voluntary switches: a thread that
 * went to sleep, e.g. to hand a call to another thread). Less sensitive to a loaded machine than
 * wall time: what a call costs the daemon, not how long it waited for a core.
 */
record DaemonCpu(long workNanos, long compilerNanos, long switches) {
    static DaemonCpu of(long pid) {
        long work = 0;
        long compiler = 0;
        long switches = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    long nanos = Long.parseLong(Files.readString(task.resolve("schedstat")).trim().split(" ")[0]);
                    if (Files.readString(task.resolve("comm")).startsWith("C")
                            && Files.readString(task.resolve("comm")).contains("CompilerThre")) {
                        compiler += nanos;
                    } else {
                        work += nanos;
                    }
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")) {
                            switches += Long.parseLong(line.replaceAll("[^0-9]", ""));
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            return new DaemonCpu(-1, -1, -1);
        }
        return new DaemonCpu(work, compiler, switches);
    }

    DaemonCpu since(DaemonCpu before) {
        return new DaemonCpu(workNanos - before.workNanos, compilerNanos - before.compilerNanos, switches - before.switches);
    }
}
