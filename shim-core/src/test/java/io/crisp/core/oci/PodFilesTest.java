package io.crisp.core.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class PodFilesTest {
    @TempDir
    Path tmp;

    @Test
    void writesHostnameHostsResolvConfAndShm() throws Exception {
        PodFiles files = PodFiles.write(tmp.resolve("pod"), Fixtures.pod(), "web-0");
        assertEquals(PodFiles.at(tmp.resolve("pod")), files);
        assertEquals("web-0\n", Files.readString(files.hostname()));
        String hosts = Files.readString(files.hosts());
        assertTrue(hosts.contains("127.0.0.1\tlocalhost web-0\n"), hosts);
        assertTrue(hosts.contains("::1\tlocalhost"), hosts);
        assertEquals("search default.svc.cluster.local\nnameserver 10.0.0.10\noptions ndots:5\n",
                Files.readString(files.resolvConf()));
        assertTrue(Files.isDirectory(files.shm()));
        assertEquals(01777, ((Integer) Files.getAttribute(files.shm(), "unix:mode")) & 07777);
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(files.resolvConf())));
    }

    @Test
    void withoutDnsTheHostsResolvConfIsCopied() throws Exception {
        PodSettings p = Fixtures.pod();
        PodSettings noDns = new PodSettings(p.name(), p.namespace(), p.uid(), p.attempt(), p.hostname(), p.logDirectory(),
                DnsSettings.NONE, Map.of(), Map.of(), "", Map.of(), p.networkMode(), p.pidMode(), p.ipcMode(), -1, -1, false,
                List.of(), false, p.seccomp(), p.apparmor(), p.resources(), p.overhead());
        PodFiles files = PodFiles.write(tmp, noDns, "h");
        String host = Files.isRegularFile(Path.of("/etc/resolv.conf")) ? Files.readString(Path.of("/etc/resolv.conf")) : "";
        assertEquals(host, Files.readString(files.resolvConf()));
    }
}
