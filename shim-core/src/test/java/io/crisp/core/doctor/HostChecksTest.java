package io.crisp.core.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.NodeCheck;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class HostChecksTest {
    @TempDir
    Path root;

    private void write(String relative, String text) throws IOException {
        Path p = root.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    @Test
    void overlayfsListedModuleOnDiskOrNeither() throws IOException {
        write("proc/sys/kernel/osrelease", "6.1.0-test\n");
        write("proc/filesystems", "nodev\tsysfs\nnodev\ttmpfs\n\text4\n");
        NodeCheck none = HostChecks.under(root).overlayfs();
        assertEquals("OverlayfsUnavailable", none.reason());
        assertTrue(none.detail().contains("6.1.0-test"), none.detail());

        Files.createDirectories(root.resolve("lib/modules/6.1.0-test/kernel/fs/overlayfs"));
        NodeCheck module = HostChecks.under(root).overlayfs();
        assertEquals(NodeCheck.Status.WARN, module.status(), module.toString());
        assertTrue(module.fix().startsWith("modprobe overlay"), module.fix());

        write("proc/filesystems", "nodev\tsysfs\nnodev\toverlay\n\text4\n");
        assertEquals(NodeCheck.Status.OK, HostChecks.under(root).overlayfs().status());
    }

    @Test
    void diskSpaceAgainstThresholdsOfTheNearestExistingDirectory() throws IOException {
        long free = Files.getFileStore(root).getUsableSpace();
        Path notYet = root.resolve("var/lib/crisp");
        NodeCheck fail = HostChecks.space("disk space (root)", notYet, free + (1L << 30), free + (2L << 30));
        assertEquals("DiskSpaceLow", fail.reason());
        assertTrue(fail.detail().startsWith(notYet + ": "), fail.detail());
        assertEquals(NodeCheck.Status.WARN, HostChecks.space("disk", notYet, 0, free + (1L << 30)).status());
        assertEquals(NodeCheck.Status.OK, HostChecks.space("disk", notYet, 0, 0).status());
    }

    @Test
    void socketDirectoryCreatableStaleOrServed() throws IOException {
        Path socket = root.resolve("run/crisp/crisp.sock");
        NodeCheck creatable = HostChecks.socketDir("unix://" + socket, socket);
        assertEquals(NodeCheck.Status.OK, creatable.status());
        assertTrue(creatable.detail().contains("created at start"), creatable.detail());

        Files.createDirectories(socket.getParent());
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            NodeCheck served = HostChecks.socketDir("unix://" + socket, socket);
            assertTrue(served.detail().contains("a daemon answers"), served.detail());
        }
        // Closing the channel leaves the file: a stale socket, as a killed daemon leaves it.
        assertTrue(Files.exists(socket));
        NodeCheck stale = HostChecks.socketDir("unix://" + socket, socket);
        assertEquals(NodeCheck.Status.WARN, stale.status(), stale.toString());
        assertTrue(stale.detail().contains("nothing answers"), stale.detail());

        assertEquals("ListenInvalid", HostChecks.socketDir("tcp://0.0.0.0:1", null).reason());
    }

    @Test
    void sizesReadLikeDf() {
        assertEquals("512 MiB", HostChecks.bytes(512L << 20));
        assertEquals("2.5 GiB", HostChecks.bytes(5L << 29));
    }
}
