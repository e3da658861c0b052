package io.crisp.core.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/** The host's processes as the tests look for them: by their command line in /proc. */
final class HostProcesses {
    private HostProcesses() {}

    /**
     * Every process's pid and command line, arguments joined by (and ended with) a space; processes
     * that exit while being read are left out.
     */
    static Map<Long, String> commandLines() {
        Map<Long, String> out = new LinkedHashMap<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    out.put(Long.parseLong(p.getFileName().toString()),
                            new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' '));
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
