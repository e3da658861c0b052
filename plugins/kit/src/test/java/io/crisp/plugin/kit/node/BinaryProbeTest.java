package io.crisp.plugin.kit.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.NodeCheck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class BinaryProbeTest {
    @TempDir
    Path dir;

    private Path script(String name, String body) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    @Test
    void aMissingProgramFailsWithTheReasonAndFixGiven() {
        BinaryProbe probe = new BinaryProbe("OCI runtime", dir.resolve("runc"), "RuntimeBinaryMissing", "set runtime_path", "--version");
        NodeCheck check = probe.check();
        assertEquals("RuntimeBinaryMissing", check.reason());
        assertEquals(dir.resolve("runc") + " is missing or not executable", check.detail());
        assertEquals("set runtime_path", check.fix());
    }

    @Test
    void aPresentProgramIsOkWithItsVersionAndOneInstalledLaterIsProbedAgain() throws IOException {
        Path runc = dir.resolve("runc");
        BinaryProbe probe = new BinaryProbe("OCI runtime", runc, "RuntimeBinaryMissing", "set runtime_path", "--version");
        assertTrue(probe.check().failed());
        script("runc", "[ \"$1\" = --version ] && echo 'runc version 9.9.9' && echo 'commit: abc'");
        NodeCheck check = probe.check();
        assertEquals(NodeCheck.Status.OK, check.status(), check.toString());
        assertEquals(runc + " (runc version 9.9.9)", check.detail());
    }

    @Test
    void containerdShimsPrintTheirPathFirstAndTheVersionNext() throws IOException {
        Path shim = script("containerd-shim-x-v2", "printf '%s:\\n  Version:  1.6.20\\n  Revision: r\\n' \"$0\"");
        assertEquals("Version: 1.6.20", BinaryProbe.probe(shim, "-v"));
    }

    @Test
    void aProgramThatDoesNotExitIsNotWaitedForever() throws IOException {
        Path slow = script("slow", "exec sleep 30");
        long began = System.nanoTime();
        String version = BinaryProbe.probe(slow, "--version");
        assertTrue(version.startsWith("unavailable"), version);
        assertTrue(System.nanoTime() - began < 20_000_000_000L);
    }
}
