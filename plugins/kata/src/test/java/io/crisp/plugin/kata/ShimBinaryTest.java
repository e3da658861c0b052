package io.crisp.plugin.kata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.BackendException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shim's command line as containerd runs it, against scripted stand-ins for a shim binary. */
class ShimBinaryTest {
    @TempDir
    Path dir;

    @Test
    void startRunsInTheBundleWithContainerdsArgumentsAndReturnsThePrintedAddress() throws Exception {
        Path record = dir.resolve("record");
        Path shim = script("shim", "echo \"$PWD|$*|$TTRPC_ADDRESS|$NAMESPACE|$(cat)\" > " + record + "\nprintf 'unix:///run/containerd/s/abc\\n'\n");
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        ShimBinary binary = new ShimBinary(shim, "k8s.io", "/run/crisp/kata/crisp.sock", Path.of("/run/crisp/kata/publish"),
                Map.of("TTRPC_ADDRESS", "/run/crisp/kata/events.sock"));
        assertEquals("unix:///run/containerd/s/abc", binary.start("pod1", bundle, "opts".getBytes(StandardCharsets.UTF_8)));
        assertEquals(bundle + "|-namespace k8s.io -address /run/crisp/kata/crisp.sock -publish-binary /run/crisp/kata/publish"
                + " -id pod1 start|/run/crisp/kata/events.sock|k8s.io|opts\n", Files.readString(record));
    }

    @Test
    void takesTheAddressOutOfABootstrapDocument() throws Exception {
        Path shim = script("shim", "echo '{\"version\":2,\"address\":\"unix:///run/containerd/s/def\",\"protocol\":\"ttrpc\"}'\n");
        ShimBinary binary = new ShimBinary(shim, "k8s.io", "/a", Path.of("/p"), Map.of());
        assertEquals("unix:///run/containerd/s/def", binary.start("pod1", dir, null));
    }

    @Test
    void aFailedStartNamesTheShimAndWhatItSaid() throws Exception {
        Path shim = script("shim", "echo 'no hypervisor found' >&2\nexit 3\n");
        ShimBinary binary = new ShimBinary(shim, "k8s.io", "/a", Path.of("/p"), Map.of());
        BackendException e = assertThrows(BackendException.class, () -> binary.start("pod1", dir, null));
        assertTrue(e.getMessage().contains("exit 3") && e.getMessage().contains("no hypervisor found")
                && e.getMessage().contains(shim.toString()), e.getMessage());
    }

    @Test
    void aMissingShimIsAFailedPrecondition() {
        ShimBinary binary = new ShimBinary(dir.resolve("missing"), "k8s.io", "/a", Path.of("/p"), Map.of());
        assertEquals(BackendException.Kind.FAILED_PRECONDITION, assertThrows(BackendException.class,
                () -> binary.start("pod1", dir, null)).kind());
    }

    @Test
    void deletePassesTheBundle() throws Exception {
        Path shim = script("shim", "echo \"$*\"\n");
        ShimBinary binary = new ShimBinary(shim, "k8s.io", "/a", Path.of("/p"), Map.of());
        ShimBinary.Result r = binary.delete("pod1", dir);
        assertEquals(0, r.exitCode());
        assertEquals("-namespace k8s.io -address /a -publish-binary /p -id pod1 -bundle " + dir + " delete\n", r.stdout());
    }

    @Test
    void thePublishStubFailsLoudly() throws Exception {
        Path stub = PublishStub.write(dir.resolve("publish"));
        Process p = new ProcessBuilder(stub.toString(), "--address", "/x", "publish", "--topic", "/tasks/exit").start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, p.waitFor());
        assertTrue(err.contains("TTRPC_ADDRESS"), err);
    }

    private Path script(String name, String body) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        return file;
    }
}
