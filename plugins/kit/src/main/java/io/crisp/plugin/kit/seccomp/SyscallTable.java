package io.crisp.plugin.kit.seccomp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Syscall names to numbers, from {@code syscalls-x86_64.txt} beside this class (asm/unistd_64.h). */
final class SyscallTable {
    private static volatile Map<String, Integer> x8664;

    private SyscallTable() {}

    static Map<String, Integer> x86_64() {
        Map<String, Integer> table = x8664;
        if (table == null) {
            table = read("syscalls-x86_64.txt");
            x8664 = table;
        }
        return table;
    }

    private static Map<String, Integer> read(String resource) {
        Map<String, Integer> table = new HashMap<>();
        try (InputStream in = SyscallTable.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the class path");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.trim().split("\\s+");
                table.put(f[0], Integer.parseInt(f[1]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
        return Map.copyOf(table);
    }
}
