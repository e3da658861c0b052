package io.crisp.core.image.unpack;

import io.crisp.core.state.HostCommand;
import java.io.IOException;
import java.math.BigDecimal;
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

    private FileCommands() {
    }

    /** @param type {@code c}, {@code b} or {@code p}; major and minor are ignored for {@code p} */
    static void mknod(Path path, char type, int major, int minor) throws IOException {
        if (type == 'p') {
            HostCommand.run("mknod", path.toString(), "p");
        } else {
            HostCommand.run("mknod", path.toString(), String.valueOf(type), Integer.toString(major), Integer.toString(minor));
        }
    }

    /** Follows a symlink: call it on anything but a symlink only. */
    static void chmod(Path path, int mode) throws IOException {
        HostCommand.run("chmod", String.format("%04o", mode), path.toString());
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
        HostCommand.run(command.toArray(String[]::new));
    }

    /**
     * Sets the modification time by path ({@code utimensat} with {@code AT_SYMLINK_NOFOLLOW}), without
     * opening the file: for FIFOs and device nodes.
     */
    static void touch(Path path, FileTime mtime) throws IOException {
        Instant instant = mtime.toInstant();
        String seconds = BigDecimal.valueOf(instant.getEpochSecond()).add(BigDecimal.valueOf(instant.getNano(), 9)).toPlainString();
        HostCommand.run("touch", "-h", "-m", "-d", "@" + seconds, path.toString());
    }

    /** A symlink whose target text is kept byte for byte (repeated or trailing slashes included). */
    static void symlink(String target, Path link) throws IOException {
        HostCommand.run("ln", "-s", "--", target, link.toString());
    }
}
