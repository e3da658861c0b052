package io.crisp.plugin.kata.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts real {@code sh -c} processes for tests; paths arrive as $1, $2, ... */
final class Sh {
    private Sh() {}

    static Process start(String script, Path... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("sh", "-c", script, "sh"));
        for (Path arg : args) {
            command.add(arg.toString());
        }
        return new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
    }

    /** Waits up to 5 s for {@code p} and returns its exit code; kills it and fails on timeout. */
    static int await(Process p) throws InterruptedException {
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("process did not exit in time");
        }
        return p.exitValue();
    }
}
