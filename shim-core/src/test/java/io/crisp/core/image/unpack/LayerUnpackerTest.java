package io.crisp.core.image.unpack;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdOutputStream;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layers are built here with commons-compress's writer, so each test shows the members it feeds in.
 * Runs as root: owners, device nodes and trusted xattrs need it.
 */
final class LayerUnpackerTest {
    private static final FileTime MTIME = FileTime.from(Instant.parse("2021-03-04T05:06:07Z"));
    private static final FileTime DIR_MTIME = FileTime.from(Instant.parse("2020-01-02T03:04:05Z"));
    private static final int S_IFMT = 0170000;

    @TempDir
    Path dir;

    private Path store;
    private Path target;
    private Path outside;
    private final LayerUnpacker unpacker = new LayerUnpacker();

    @BeforeEach
    void layout() throws IOException {
        store = Files.createDirectories(dir.resolve("store"));
        target = store.resolve("layer");
        outside = Files.createDirectories(dir.resolve("outside"));
    }

    // ---- what a layer holds ----

    @Test
    void regularFileKeepsContentModeOwnerAndTime() throws IOException {
        UnpackResult result = unpack(new Layer().file("etc/motd", "hello\n", 0640, 1000, 1000, MTIME).plain());

        Path motd = target.resolve("etc/motd");
        assertEquals("hello\n", Files.readString(motd));
        assertEquals(0100640, mode(motd));
        assertEquals(1000, Files.getAttribute(motd, "unix:uid"));
        assertEquals(1000, Files.getAttribute(motd, "unix:gid"));
        assertEquals(MTIME, Files.getLastModifiedTime(motd));
        assertEquals(new UnpackResult(1, 6), result);
    }

    @Test
    void setuidSetgidAndStickyBitsAreKept() throws IOException {
        unpack(new Layer()
                .file("bin/su", "#!", 04755, 0, 0, MTIME)
                .file("bin/wall", "#!", 02755, 0, 5, MTIME)
                .dir("tmp", 01777, 0, 0, DIR_MTIME)
                .plain());

        assertEquals(0104755, mode(target.resolve("bin/su")));
        assertEquals(0102755, mode(target.resolve("bin/wall")));
        assertEquals(5, Files.getAttribute(target.resolve("bin/wall"), "unix:gid"));
        assertEquals(041777, mode(target.resolve("tmp")));
    }

    @Test
    void directoriesGetModeOwnerAndTimeAfterTheirContent() throws IOException {
        unpack(new Layer()
                .dir("./", 0755, 0, 0, DIR_MTIME)
                .dir("./srv", 0750, 1000, 1001, DIR_MTIME)
                .file("./srv/data", "x", 0644, 1000, 1001, MTIME)
                .dir("./srv/sub", 0700, 0, 0, DIR_MTIME)
                .file("./srv/sub/deeper/file", "y", 0644, 0, 0, MTIME)
                .plain());

        Path srv = target.resolve("srv");
        assertEquals(040750, mode(srv));
        assertEquals(1000, Files.getAttribute(srv, "unix:uid"));
        assertEquals(1001, Files.getAttribute(srv, "unix:gid"));
        assertEquals(DIR_MTIME, Files.getLastModifiedTime(srv), "set after srv/data was written into it");
        assertEquals(DIR_MTIME, Files.getLastModifiedTime(target.resolve("srv/sub")));
        assertEquals(040755, mode(target.resolve("srv/sub/deeper")), "a parent no member lists is created 0755");
        assertEquals(040755, mode(target));
        assertEquals(DIR_MTIME, Files.getLastModifiedTime(target));
    }

    @Test
    void rootGetsMode0755WhenTheLayerDoesNotListIt() throws IOException {
        unpack(new Layer().file("a", "a").plain());

        assertEquals(040755, mode(target));
    }

    @Test
    void absoluteSymlinkIsStoredWithItsExactTarget() throws IOException {
        unpack(new Layer()
                .symlink("bin/sh", "/bin/busybox", 1000, 1000)
                .symlink("bin/dots", "../lib//x/", 0, 0)
                .plain());

        Path sh = target.resolve("bin/sh");
        assertTrue(Files.isSymbolicLink(sh));
        assertEquals(Path.of("/bin/busybox"), Files.readSymbolicLink(sh));
        assertEquals(1000, Files.getAttribute(sh, "unix:uid", NOFOLLOW_LINKS), "lchown, not chown of /bin/busybox");
        assertEquals(MTIME, Files.getLastModifiedTime(sh, NOFOLLOW_LINKS));
        assertEquals("../lib//x/", readlink(target.resolve("bin/dots")), "the text is kept byte for byte");
    }

    @Test
    void hardlinkSharesTheInodeOfAnEarlierMember() throws IOException {
        unpack(new Layer()
                .file("usr/bin/perl5.36", "perl", 0755, 0, 0, MTIME)
                .hardlink("usr/bin/perl", "usr/bin/perl5.36")
                .symlink("bin/sh", "/bin/busybox", 0, 0)
                .hardlink("bin/sh2", "./bin/sh")
                .plain());

        Path perl = target.resolve("usr/bin/perl");
        assertEquals(Files.getAttribute(target.resolve("usr/bin/perl5.36"), "unix:ino"), Files.getAttribute(perl, "unix:ino"));
        assertEquals(2, Files.getAttribute(perl, "unix:nlink"));
        assertEquals("perl", Files.readString(perl));
        Path sh2 = target.resolve("bin/sh2");
        assertTrue(Files.isSymbolicLink(sh2), "a hardlink to a symlink links the symlink itself");
        assertEquals(Files.getAttribute(target.resolve("bin/sh"), "unix:ino", NOFOLLOW_LINKS),
                Files.getAttribute(sh2, "unix:ino", NOFOLLOW_LINKS));
    }

    @Test
    void gzipZstdAndPlainLayersGiveTheSameTree() throws IOException {
        Layer layer = new Layer()
                .dir("./", 0755, 0, 0, DIR_MTIME)
                .dir("./etc", 0755, 0, 0, DIR_MTIME)
                .file("./etc/big", random(300_000, 7), 0600, 1000, 1000, MTIME)
                .file("./etc/.wh.gone", "", 0644, 0, 0, MTIME)
                .symlink("./etc/localtime", "/usr/share/zoneinfo/UTC", 0, 0)
                .hardlink("./etc/big2", "./etc/big")
                .dir("./dev", 0755, 0, 0, DIR_MTIME)
                .device("./dev/null", TarConstants.LF_CHR, 1, 3);
        Path plain = unpackInto("plain", layer.plain());
        Path gzip = unpackInto("gzip", layer.gzip());
        Path zstd = unpackInto("zstd", layer.zstd());

        Map<String, String> expected = describeTree(plain);
        assertEquals(7, expected.size(), expected.toString());
        assertEquals(expected, describeTree(gzip));
        assertEquals(expected, describeTree(zstd));
    }

    @Test
    void paxLongNamesAndUserXattrsAreKept() throws IOException {
        String longDir = "usr/share/" + "a-rather-long-directory-name-".repeat(3) + "end";
        String longName = longDir + "/" + "and-a-long-file-name-".repeat(4) + "tail.txt";
        assertTrue(longName.length() > 100);
        TarArchiveEntry entry = Layer.entry(longName, TarConstants.LF_NORMAL);
        entry.addPaxHeader("SCHILY.xattr.user.mime_type", "text/plain");
        unpack(new Layer().add(entry, "long".getBytes(StandardCharsets.UTF_8))
                .symlink(longDir + "/link", "/" + longName, 0, 0)
                .plain());

        Path file = target.resolve(longName);
        assertEquals("long", Files.readString(file));
        assertEquals("text/plain", userXattr(file, "mime_type"));
        assertEquals(Path.of("/" + longName), Files.readSymbolicLink(target.resolve(longDir + "/link")));
    }

    @Test
    void binaryCapabilityXattrKeepsItsBytes() throws IOException {
        // cap_setuid+ep: permitted bit 7 is the byte 0x80, which is not UTF-8 and which a String would lose.
        byte[] capability = HexFormat.of().parseHex("0100000280000000000000000000000000000000");
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        tar.write(Layer.paxHeader("SCHILY.xattr.security.capability", capability));
        new Layer(tar).file("bin/ping", "ping", 0755, 0, 0, MTIME).finish();

        unpack(tar.toByteArray());

        assertEquals("0x" + HexFormat.of().formatHex(capability), getfattr(target.resolve("bin/ping"), "security.capability"));
    }

    @Test
    void deviceNodesAndFifosAreCreated() throws IOException {
        unpack(new Layer()
                .device("dev/null", TarConstants.LF_CHR, 1, 3)
                .device("dev/loop0", TarConstants.LF_BLK, 7, 0)
                .device("run/fifo", TarConstants.LF_FIFO, 0, 0)
                .plain());

        Path nul = target.resolve("dev/null");
        assertEquals(0020666, mode(nul));
        assertEquals((1L << 8) | 3, Files.getAttribute(nul, "unix:rdev"));
        assertEquals(0060000, mode(target.resolve("dev/loop0")) & S_IFMT);
        assertEquals(7L << 8, Files.getAttribute(target.resolve("dev/loop0"), "unix:rdev"));
        assertEquals(0010000, mode(target.resolve("run/fifo")) & S_IFMT);
    }

    @Test
    void whiteoutBecomesCharacterDeviceZeroZero() throws IOException {
        unpack(new Layer().file("etc/.wh.passwd", "", 0644, 0, 0, MTIME).plain());

        Path whiteout = target.resolve("etc/passwd");
        assertEquals(0020000, mode(whiteout) & S_IFMT);
        assertEquals(0L, Files.getAttribute(whiteout, "unix:rdev"));
        assertFalse(Files.exists(target.resolve("etc/.wh.passwd"), NOFOLLOW_LINKS));
    }

    @Test
    void opaqueMarkerBecomesTheOverlayXattr() throws IOException {
        unpack(new Layer()
                .dir("var/cache", 0755, 0, 0, DIR_MTIME)
                .file("var/cache/.wh..wh..opq", "", 0644, 0, 0, MTIME)
                .file("var/cache/new", "n")
                .plain());

        Path cache = target.resolve("var/cache");
        assertEquals("0x" + HexFormat.of().formatHex("y".getBytes(StandardCharsets.UTF_8)), getfattr(cache, "trusted.overlay.opaque"));
        assertFalse(Files.exists(cache.resolve(".wh..wh..opq"), NOFOLLOW_LINKS));
        assertEquals(List.of("new"), list(cache));
    }

    @Test
    void whiteoutHidesLowerLayersOnlyNeverThisLayer() throws IOException {
        unpack(new Layer()
                .file("a", "kept")
                .file(".wh.a", "")
                .file(".wh.d", "")
                .file("d/new", "fresh")
                .plain());

        assertEquals("kept", Files.readString(target.resolve("a")), "a whiteout after a file of the same layer changes nothing");
        assertEquals("0x79", getfattr(target.resolve("d"), "trusted.overlay.opaque"), "deleted below, recreated here: opaque");
        assertEquals("fresh", Files.readString(target.resolve("d/new")));
    }

    @Test
    void laterMembersReplaceEarlierOnes() throws IOException {
        Path victim = Files.writeString(outside.resolve("victim"), "untouched");
        unpack(new Layer()
                .file("a", "one")
                .file("a", "two")
                .file("d/f", "in d")
                .file("d", "now a file")
                .symlink("link", victim.toString(), 0, 0)
                .file("link", "replaces the link")
                .plain());

        assertEquals("two", Files.readString(target.resolve("a")));
        assertEquals("now a file", Files.readString(target.resolve("d")));
        assertFalse(Files.isSymbolicLink(target.resolve("link")));
        assertEquals("replaces the link", Files.readString(target.resolve("link")));
        assertEquals("untouched", Files.readString(victim), "the symlink was replaced, not written through");
    }

    @Test
    void directoryOverASymlinkReplacesTheLinkAndLeavesItsTargetAlone() throws IOException {
        int outsideMode = mode(outside);
        unpack(new Layer()
                .symlink("lib", outside.toString(), 0, 0)
                .dir("lib", 0700, 1000, 1000, DIR_MTIME)
                .file("lib/libc.so", "c")
                .plain());

        assertFalse(Files.isSymbolicLink(target.resolve("lib")));
        assertEquals(040700, mode(target.resolve("lib")));
        assertEquals("c", Files.readString(target.resolve("lib/libc.so")));
        assertEquals(List.of(), list(outside));
        assertEquals(outsideMode, mode(outside));
        assertEquals(0, Files.getAttribute(outside, "unix:uid"));
    }

    @Test
    void absoluteAndDotSlashNamesStayInsideTheLayer() throws IOException {
        unpack(new Layer().file("/etc/hostname", "h").file("./etc/./hosts", "x").file(".//etc//issue", "i").plain());

        assertEquals(List.of("hostname", "hosts", "issue"), list(target.resolve("etc")));
    }

    // ---- malicious and broken layers ----

    @Test
    void dotDotNameIsRefused() throws IOException {
        BackendException e = refused(new Layer().file("../evil", "x").plain());

        assertEquals("layer entry \"../evil\" escapes the layer directory", e.getMessage());
        assertFalse(Files.exists(store.getParent().resolve("evil")));
    }

    @Test
    void dotDotThatClimbsOutOfASubdirectoryIsRefused() throws IOException {
        BackendException e = refused(new Layer().file("a/b", "fine").file("a/../../evil", "x").plain());

        assertEquals("layer entry \"a/../../evil\" escapes the layer directory", e.getMessage());
    }

    @Test
    void dotDotThatStaysInsideIsRefusedToo() throws IOException {
        BackendException e = refused(new Layer().file("a/../b", "x").plain());

        assertTrue(e.getMessage().startsWith("layer entry \"a/../b\" has a \"..\" component"), e.getMessage());
    }

    @Test
    void writingThroughAnAbsoluteSymlinkIsRefused() throws IOException {
        Path somewhere = Files.createDirectories(outside.resolve("somewhere-outside"));
        BackendException e = refused(new Layer()
                .symlink("escape", somewhere.toString(), 0, 0)
                .file("escape/pwned", "gotcha")
                .plain());

        assertEquals("layer entry \"escape/pwned\" would write through symlink \"escape\"", e.getMessage());
        assertEquals(List.of(), list(somewhere));
    }

    @Test
    void writingThroughARelativeSymlinkToTheParentIsRefused() throws IOException {
        BackendException e = refused(new Layer().symlink("up", "..", 0, 0).file("up/x", "x").plain());

        assertEquals("layer entry \"up/x\" would write through symlink \"up\"", e.getMessage());
        assertFalse(Files.exists(store.resolve("x")));
    }

    @Test
    void symlinkedDirectoryDeeperInThePathIsRefused() throws IOException {
        BackendException e = refused(new Layer()
                .dir("usr", 0755, 0, 0, DIR_MTIME)
                .symlink("usr/lib", outside.toString(), 0, 0)
                .dir("usr/lib/sub", 0755, 0, 0, DIR_MTIME)
                .plain());

        assertEquals("layer entry \"usr/lib/sub/\" would write through symlink \"usr/lib\"", e.getMessage());
        assertEquals(List.of(), list(outside));
    }

    @Test
    void hardlinkOutOfTheLayerIsRefused() throws IOException {
        BackendException e = refused(new Layer().hardlink("hl", "../../etc/passwd").plain());

        assertEquals("layer entry \"hl\" is a hardlink to \"../../etc/passwd\", which escapes the layer directory", e.getMessage());
    }

    @Test
    void hardlinkToAMissingMemberIsRefused() throws IOException {
        BackendException e = refused(new Layer().hardlink("hl", "etc/shadow").plain());

        assertEquals("layer entry \"hl\" is a hardlink to \"etc/shadow\", which does not exist in this layer", e.getMessage());
    }

    @Test
    void hardlinkThroughASymlinkIsRefused() throws IOException {
        Files.writeString(outside.resolve("secret"), "s");
        BackendException e = refused(new Layer()
                .symlink("out", outside.toString(), 0, 0)
                .hardlink("hl", "out/secret")
                .plain());

        assertEquals("layer entry \"hl\" is a hardlink to \"out/secret\", reached through symlink \"out\"", e.getMessage());
        assertEquals(1, Files.getAttribute(outside.resolve("secret"), "unix:nlink"));
    }

    @Test
    void truncatedGzipLayerFailsAndLeavesNothing() throws IOException {
        byte[] gzip = new Layer().file("a", random(200_000, 1)).file("b", random(200_000, 2)).gzip();
        byte[] cut = Arrays.copyOf(gzip, gzip.length / 2);

        BackendException e = refused(cut);

        assertTrue(e.getMessage().startsWith("gzip-compressed layer is corrupt or truncated"), e.getMessage());
    }

    @Test
    void truncatedPlainTarFails() throws IOException {
        byte[] plain = new Layer().file("a", random(5000, 1)).plain();

        BackendException e = refused(Arrays.copyOf(plain, 2048));

        assertTrue(e.getMessage().contains("in entry \"a\""), e.getMessage());
    }

    @Test
    void plainTarCutInsideAHeaderIsRefused() throws IOException {
        byte[] plain = new Layer().file("a", "0123456789").file("b", "b").plain();

        BackendException e = refused(Arrays.copyOf(plain, 1024 + 200));

        assertEquals("uncompressed layer is truncated after entry \"a\": it ends inside a tar header", e.getMessage());
    }

    @Test
    void failingSourceStreamIsAnInternalError() throws IOException {
        byte[] layer = new Layer().file("a", random(5000, 3)).plain();
        InputStream broken = new InputStream() {
            private int position;

            @Override
            public int read() throws IOException {
                if (position == 1000) {
                    throw new IOException("connection reset");
                }
                return layer[position++] & 0xff;
            }
        };

        BackendException e = assertThrows(BackendException.class, () -> unpacker.unpack(broken, target));

        assertEquals(Kind.INTERNAL, e.kind(), e.getMessage());
        assertEquals("cannot read the layer stream in entry \"a\": connection reset", e.getMessage());
        assertNothingLeft();
    }

    @Test
    void existingTargetIsRefusedAndLeftAlone() throws IOException {
        Files.createDirectories(target);
        Files.writeString(target.resolve("keep"), "k");

        BackendException e = assertThrows(BackendException.class,
                () -> unpacker.unpack(new ByteArrayInputStream(new Layer().file("a", "a").plain()), target));

        assertEquals(Kind.ALREADY_EXISTS, e.kind());
        assertEquals(List.of("keep"), list(target));
        assertEquals(List.of("layer"), list(store));
    }

    @Test
    void countsMembersAndContentBytes() throws IOException {
        UnpackResult result = unpack(new Layer()
                .dir("d", 0755, 0, 0, DIR_MTIME)
                .file("d/f", "12345")
                .file("d/g", "678")
                .symlink("d/l", "f", 0, 0)
                .hardlink("d/h", "d/f")
                .file("d/.wh.old", "")
                .plain());

        assertEquals(new UnpackResult(6, 8), result);
    }

    // ---- helpers ----

    private UnpackResult unpack(byte[] layer) {
        return unpacker.unpack(new ByteArrayInputStream(layer), target);
    }

    private Path unpackInto(String name, byte[] layer) {
        Path into = store.resolve(name);
        unpacker.unpack(new ByteArrayInputStream(layer), into);
        return into;
    }

    /** Unpacks a layer that must be refused as invalid, and checks that it left nothing behind. */
    private BackendException refused(byte[] layer) throws IOException {
        BackendException e = assertThrows(BackendException.class, () -> unpack(layer));
        assertEquals(Kind.INVALID_ARGUMENT, e.kind(), e.getMessage());
        assertNothingLeft();
        return e;
    }

    private void assertNothingLeft() {
        try {
            assertEquals(List.of(), list(store), "neither the layer nor its staging directory may remain");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static int mode(Path path) throws IOException {
        return (Integer) Files.getAttribute(path, "unix:mode", NOFOLLOW_LINKS);
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static String userXattr(Path file, String name) throws IOException {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class);
        ByteBuffer buffer = ByteBuffer.allocate(view.size(name));
        view.read(name, buffer);
        return new String(buffer.array(), StandardCharsets.UTF_8);
    }

    /** The value as getfattr prints it in hex, {@code 0x...}. */
    private static String getfattr(Path file, String name) throws IOException {
        String output = run("getfattr", "--absolute-names", "-e", "hex", "-n", name, file.toString());
        return output.lines().filter(l -> l.startsWith(name + "=")).findFirst()
                .map(l -> l.substring(name.length() + 1))
                .orElseThrow(() -> new AssertionError("no " + name + " on " + file + ": " + output));
    }

    private static String readlink(Path link) throws IOException {
        return run("readlink", link.toString()).strip();
    }

    private static String run(String... command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (process.waitFor() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return output;
    }

    /** Every node below {@code root}: type, mode, owner, time, size, content digest, link target, device. */
    private static Map<String, String> describeTree(Path root) throws IOException {
        Map<String, String> tree = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.toList()) {
                if (p.equals(root)) {
                    continue;
                }
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW_LINKS);
                Map<String, Object> unix = Files.readAttributes(p, "unix:mode,uid,gid,rdev,nlink", NOFOLLOW_LINKS);
                StringBuilder d = new StringBuilder()
                        .append(Integer.toOctalString((Integer) unix.get("mode")))
                        .append(' ').append(unix.get("uid")).append(':').append(unix.get("gid"))
                        .append(" rdev=").append(unix.get("rdev")).append(" nlink=").append(unix.get("nlink"))
                        .append(" mtime=").append(a.lastModifiedTime()).append(" size=").append(a.size());
                if (a.isSymbolicLink()) {
                    d.append(" -> ").append(Files.readSymbolicLink(p));
                } else if (a.isRegularFile()) {
                    d.append(" sha256=").append(sha256(Files.readAllBytes(p)));
                }
                tree.put(root.relativize(p).toString(), d.toString());
            }
        }
        return tree;
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    /** A layer tar under construction; names are written exactly as given, leading "/" and ".." included. */
    private static final class Layer {
        private final ByteArrayOutputStream bytes;
        private final TarArchiveOutputStream tar;
        private boolean finished;

        Layer() {
            this(new ByteArrayOutputStream());
        }

        /** Appends to {@code out}, after whatever it holds already. */
        Layer(ByteArrayOutputStream out) {
            bytes = out;
            tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name());
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        }

        static TarArchiveEntry entry(String name, byte type) {
            TarArchiveEntry entry = new TarArchiveEntry(name, type, true);
            entry.setModTime(MTIME);
            return entry;
        }

        Layer add(TarArchiveEntry entry, byte[] content) throws IOException {
            entry.setSize(content.length);
            tar.putArchiveEntry(entry);
            tar.write(content);
            tar.closeArchiveEntry();
            return this;
        }

        Layer file(String name, String content) throws IOException {
            return file(name, content, 0644, 0, 0, MTIME);
        }

        Layer file(String name, String content, int mode, int uid, int gid, FileTime mtime) throws IOException {
            return file(name, content.getBytes(StandardCharsets.UTF_8), mode, uid, gid, mtime);
        }

        Layer file(String name, byte[] content) throws IOException {
            return file(name, content, 0644, 0, 0, MTIME);
        }

        Layer file(String name, byte[] content, int mode, int uid, int gid, FileTime mtime) throws IOException {
            TarArchiveEntry entry = entry(name, TarConstants.LF_NORMAL);
            entry.setMode(mode);
            entry.setUserId(uid);
            entry.setGroupId(gid);
            entry.setModTime(mtime);
            return add(entry, content);
        }

        Layer dir(String name, int mode, int uid, int gid, FileTime mtime) throws IOException {
            TarArchiveEntry entry = entry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR);
            entry.setMode(mode);
            entry.setUserId(uid);
            entry.setGroupId(gid);
            entry.setModTime(mtime);
            return add(entry, new byte[0]);
        }

        Layer symlink(String name, String linkTarget, int uid, int gid) throws IOException {
            TarArchiveEntry entry = entry(name, TarConstants.LF_SYMLINK);
            entry.setLinkName(linkTarget);
            entry.setMode(0777);
            entry.setUserId(uid);
            entry.setGroupId(gid);
            return add(entry, new byte[0]);
        }

        Layer hardlink(String name, String linkTarget) throws IOException {
            TarArchiveEntry entry = entry(name, TarConstants.LF_LINK);
            entry.setLinkName(linkTarget);
            return add(entry, new byte[0]);
        }

        Layer device(String name, byte type, int major, int minor) throws IOException {
            TarArchiveEntry entry = entry(name, type);
            entry.setMode(0666);
            entry.setDevMajor(major);
            entry.setDevMinor(minor);
            return add(entry, new byte[0]);
        }

        void finish() throws IOException {
            if (!finished) {
                tar.finish();
                tar.close();
                finished = true;
            }
        }

        byte[] plain() throws IOException {
            finish();
            return bytes.toByteArray();
        }

        byte[] gzip() throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (OutputStream gz = new GzipCompressorOutputStream(out)) {
                gz.write(plain());
            }
            return out.toByteArray();
        }

        byte[] zstd() throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (OutputStream zs = new ZstdOutputStream(out)) {
                zs.write(plain());
            }
            return out.toByteArray();
        }

        /**
         * A PAX extended header holding one record with a raw byte value, written by hand because
         * commons-compress's writer only takes Strings and so cannot write a non-UTF-8 value.
         */
        static byte[] paxHeader(String key, byte[] value) throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.write((" " + key + "=").getBytes(StandardCharsets.UTF_8));
            body.write(value);
            body.write('\n');
            int length = body.size() + Integer.toString(body.size()).length();
            if (Integer.toString(length).length() != Integer.toString(body.size()).length()) {
                length++;
            }
            byte[] record = new byte[length];
            byte[] prefix = Integer.toString(length).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(prefix, 0, record, 0, prefix.length);
            System.arraycopy(body.toByteArray(), 0, record, prefix.length, body.size());

            byte[] header = new byte[512];
            put(header, 0, "PaxHeaders.0/ping");
            put(header, 100, "0000644\0");
            put(header, 108, "0000000\0");
            put(header, 116, "0000000\0");
            put(header, 124, String.format("%011o\0", record.length));
            put(header, 136, "00000000000\0");
            put(header, 148, "        ");
            header[156] = 'x';
            put(header, 257, "ustar\0");
            put(header, 263, "00");
            int sum = 0;
            for (byte b : header) {
                sum += b & 0xff;
            }
            put(header, 148, String.format("%06o\0 ", sum));

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(header);
            out.write(record);
            out.write(new byte[(512 - record.length % 512) % 512]);
            return out.toByteArray();
        }

        private static void put(byte[] header, int offset, String text) {
            byte[] b = text.getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(b, 0, header, offset, b.length);
        }
    }
}
