package io.crisp.core.image.unpack;

import static io.crisp.core.image.unpack.LayerUnpacker.describe;
import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a layer member carries besides its content, applied to what was unpacked: owner (lchown),
 * mode (after the owner, which clears setuid and setgid), xattrs (never overlayfs's own), and the
 * modification time last. Also the two looks at what a path holds that the unpacking decides on.
 */
final class EntryMetadata {
    private static final Logger log = LoggerFactory.getLogger(EntryMetadata.class);
    private static final String XATTR_PAX_PREFIX = "SCHILY.xattr.";
    private static final String USER_NAMESPACE = "user.";

    private EntryMetadata() {}

    /** What was found at a path, for the checks that decide how to treat it. */
    enum NodeType {
        FILE, DIRECTORY, SYMLINK, OTHER
    }

    /** lchown: a symlink gets the owner, not its target. */
    static void setOwner(Path file, long uid, long gid) throws IOException {
        Files.setAttribute(file, "unix:uid", (int) uid, NOFOLLOW_LINKS);
        Files.setAttribute(file, "unix:gid", (int) gid, NOFOLLOW_LINKS);
    }

    /** After the owner: chown clears setuid and setgid. Never called on a symlink. */
    static void setMode(Path file, int tarMode) throws IOException {
        int mode = tarMode & 07777;
        if ((mode & 07000) != 0) {
            FileCommands.chmod(file, mode);
        } else {
            Files.setPosixFilePermissions(file, permissions(mode));
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
        };
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                set.add(order[bit]);
            }
        }
        return set;
    }

    /**
     * Last, after content, owner, mode and xattrs. The JDK sets times through a file descriptor,
     * and opening a FIFO blocks until a writer comes while opening a device node talks to its
     * driver, so those get their time by path through {@code touch -h}. A symlink's time that
     * cannot be set is not worth failing the layer for.
     */
    static void setMtime(Path file, FileTime mtime, NodeType type) throws IOException {
        if (mtime == null) {
            return;
        }
        if (type == NodeType.OTHER) {
            FileCommands.touch(file, mtime);
            return;
        }
        BasicFileAttributeView view = Files.getFileAttributeView(file, BasicFileAttributeView.class, NOFOLLOW_LINKS);
        try {
            view.setTimes(mtime, null, null);
        } catch (IOException | UnsupportedOperationException e) {
            if (type != NodeType.SYMLINK) {
                throw e;
            }
            log.debug("cannot set the time of symlink {}: {}", file, describe(e));
        }
    }

    static void setXattrs(TarArchiveEntry entry, String name, Path file, Map<String, byte[]> rawXattrs, NodeType type)
            throws IOException {
        for (Map.Entry<String, String> header : entry.getExtraPaxHeaders().entrySet()) {
            if (!header.getKey().startsWith(XATTR_PAX_PREFIX)) {
                continue;
            }
            String xattr = header.getKey().substring(XATTR_PAX_PREFIX.length());
            byte[] value = xattrValue(header.getKey(), header.getValue(), rawXattrs);
            if (value == null) {
                log.warn("layer entry \"{}\": xattr {} has a binary value the tar reader could not keep; not set", name, xattr);
            } else if (xattr.startsWith("trusted.overlay.") || xattr.startsWith("user.overlay.")) {
                log.warn("layer entry \"{}\": xattr {} not set: overlayfs would read it as its own metadata", name, xattr);
            } else if (xattr.startsWith(USER_NAMESPACE)) {
                if (type != NodeType.FILE && type != NodeType.DIRECTORY) {
                    log.debug("layer entry \"{}\": xattr {} skipped: Linux keeps user xattrs on files and directories only", name, xattr);
                    continue;
                }
                UserDefinedFileAttributeView view = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class, NOFOLLOW_LINKS);
                view.write(xattr.substring(USER_NAMESPACE.length()), ByteBuffer.wrap(value));
            } else {
                try {
                    FileCommands.setXattr(file, xattr, value, type == NodeType.SYMLINK);
                } catch (IOException e) {
                    log.debug("layer entry \"{}\": cannot set xattr {}, skipped: {}", name, xattr, describe(e));
                }
            }
        }
    }

    /**
     * The bytes of an xattr: the raw PAX bytes when the tap kept them and they agree with what
     * commons-compress parsed, otherwise the parsed String in UTF-8 unless decoding it lost bytes
     * (null then).
     */
    private static byte[] xattrValue(String key, String parsed, Map<String, byte[]> rawXattrs) {
        if (rawXattrs != null) {
            byte[] raw = rawXattrs.get(key);
            if (raw != null && new String(raw, StandardCharsets.UTF_8).equals(parsed)) {
                return raw;
            }
        }
        if (parsed.indexOf('\uFFFD') >= 0) {
            return null;
        }
        return parsed.getBytes(StandardCharsets.UTF_8);
    }

    static BasicFileAttributes attributes(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** The overlayfs whiteout: a character device numbered 0/0. */
    static boolean isWhiteout(Path path) throws IOException {
        Map<String, Object> attributes = Files.readAttributes(path, "unix:mode,rdev", NOFOLLOW_LINKS);
        return (((Integer) attributes.get("mode")) & 0170000) == 0020000 && ((Long) attributes.get("rdev")) == 0L;
    }
}
