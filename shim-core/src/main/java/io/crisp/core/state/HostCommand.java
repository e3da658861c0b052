package io.crisp.core.state;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Runs a host tool for what the JDK has no API for (mount, umount, mknod, setfattr...): no shell,
 * arguments passed as they are, stdin closed, and on failure the tool's own output (its first
 * 4 KiB) in the exception, so the error says what the tool said.
 */
public final class HostCommand {
    private static final int OUTPUT_LIMIT = 4096;

    private HostCommand() {}

    /** @throws IOException when the command cannot start or exits non-zero */
    public static void run(String... command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        byte[] output;
        try (InputStream in = process.getInputStream()) {
            output = in.readNBytes(OUTPUT_LIMIT);
            in.transferTo(OutputStream.nullOutputStream());
        }
        int code;
        try {
            code = process.waitFor();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while running " + String.join(" ", command));
        }
        if (code != 0) {
            throw new IOException(String.join(" ", command) + " exited with " + code + ": "
                    + new String(output, StandardCharsets.UTF_8).strip());
        }
    }
}
