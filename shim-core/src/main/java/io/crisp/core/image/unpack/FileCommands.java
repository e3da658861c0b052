package io.crisp.core.image.unpack;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The file operations the JDK has no API for, done with the standard tools: {@code mknod} (device
 * nodes, FIFOs, overlayfs whiteouts), {@code chmod} (setuid, setgid and sticky bits, which
 * {@code PosixFilePermission} cannot express), {@code setfattr} (xattrs outside the {@code user.}
 * namespace, such as {@code trusted.overlay.opaque} and {@code security.capability}), {@code ln}
 * (a symlink target the JDK would rewrite) and {@code touch} (times of nodes the JDK would have to
 * open).
 *
 * <p>Every path passed here is absolute, so no argument can be mistaken for an option, and the
 * commands run without a shell.
 */
final class FileCommands {
    private static final int OUTPUT_LIMIT = 4096;

    private FileCommands() {
    }

    /** @param type {@code c}, {@code b} or {@code p}; major and minor are ignored for {@code p} */
    static void mknod(Path path, char type, int major, int minor) throws IOException {
        if (type == 'p') {
            run("mknod", path.toString(), "p");
        } else {
            run("mknod", path.toString(), String.valueOf(type), Integer.toString(major), Integer.toString(minor));
        }
    }

    /** Follows a symlink: call it on anything but a symlink only. */
    static void chmod(Path path, int mode) throws IOException {
        run("chmod", String.format("%04o", mode), path.toString());
    }

    /** @param noDereference set the attribute on a symlink itself rather than on what it points to */
    static void setXattr(Path path, String name, byte[] value, boolean noDereference) throws IOException {
        List<String> command = new ArrayList<>(List.of("setfattr"));
        if (noDereference) {
            command.add("-h");
        }
        command.add("-n");
        command.add(name);
        if (value.length > 0) {
            command.add("-v");
            command.add("0x" + HexFormat.of().formatHex(value));
        }
        command.add(path.toString());
        run(command.toArray(String[]::new));
    }

    /**
     * Sets the modification time by path ({@code utimensat} with {@code AT_SYMLINK_NOFOLLOW}), without
     * opening the file: for FIFOs and device nodes.
     */
    static void touch(Path path, FileTime mtime) throws IOException {
        Instant instant = mtime.toInstant();
        String seconds = BigDecimal.valueOf(instant.getEpochSecond()).add(BigDecimal.valueOf(instant.getNano(), 9)).toPlainString();
        run("touch", "-h", "-m", "-d", "@" + seconds, path.toString());
    }

    /** A symlink whose target text is kept byte for byte (repeated or trailing slashes included). */
    static void symlink(String target, Path link) throws IOException {
        run("ln", "-s", "--", target, link.toString());
    }

    private static void run(String... command) throws IOException {
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
