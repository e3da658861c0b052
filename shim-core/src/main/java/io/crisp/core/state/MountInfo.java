package io.crisp.core.state;

import io.crisp.spi.BackendException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code /proc/self/mountinfo} read the one way: the mounts of this mount namespace in the kernel's
 * order, with the fields the daemon needs. Overlay snapshots, pinned network namespaces and the CNI
 * client all ask it what is mounted where.
 */
public final class MountInfo {
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private MountInfo() {}

    /**
     * One mount: field 5 (the mount point, octal escapes undone), the file system type after the
     * {@code -} separator, and whether the optional fields say {@code shared:N}.
     */
    public record Mount(String mountPoint, String fsType, boolean shared) {}

    /** Every mount, in mountinfo order (a later mount at the same point is on top). */
    public static List<Mount> read() {
        String text;
        try {
            text = new String(Files.readAllBytes(MOUNTINFO), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new BackendException(BackendException.Kind.INTERNAL, "cannot read " + MOUNTINFO + ": " + e.getMessage(), e);
        }
        List<Mount> mounts = new ArrayList<>();
        for (String line : text.split("\n")) {
            Mount mount = parse(line);
            if (mount != null) {
                mounts.add(mount);
            }
        }
        return mounts;
    }

    /** The topmost (last listed) mount at exactly {@code point}, or null if it is not a mount point. */
    public static Mount lastAt(String point) {
        Mount found = null;
        for (Mount mount : read()) {
            if (mount.mountPoint().equals(point)) {
                found = mount;
            }
        }
        return found;
    }

    /** One mountinfo line, or null if it is not one. */
    public static Mount parse(String line) {
        String[] fields = line.split(" ");
        if (fields.length < 7) {
            return null;
        }
        boolean shared = false;
        int i = 6;
        for (; i < fields.length && !fields[i].equals("-"); i++) {
            shared |= fields[i].startsWith("shared:");
        }
        if (i + 1 >= fields.length) {
            return null;
        }
        return new Mount(unescape(fields[4]), unescape(fields[i + 1]), shared);
    }

    /**
     * Undoes mountinfo's escaping: space, tab, newline and backslash appear as {@code \040},
     * {@code \011}, {@code \012} and {@code \134}. The input holds raw bytes one char each
     * (ISO-8859-1), so names in UTF-8 come out right.
     */
    public static String unescape(String field) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && isOctal(field, i + 1) && isOctal(field, i + 2) && isOctal(field, i + 3)) {
                bytes.write(Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                bytes.write(c);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static boolean isOctal(String text, int index) {
        char c = text.charAt(index);
        return c >= '0' && c <= '7';
    }
}
