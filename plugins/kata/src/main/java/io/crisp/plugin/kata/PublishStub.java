package io.crisp.plugin.kata;

import io.crisp.plugin.kit.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The {@code -publish-binary} every shim is started with. Shims of containerd 1.6 and later (and
 * Kata 2 and 3) publish events over {@code TTRPC_ADDRESS} and never run it; an older shim that does
 * gets a clear error on its log instead of a silent success that would lose the event.
 */
final class PublishStub {
    private PublishStub() {}

    static Path write(Path path) throws IOException {
        String script = "#!/bin/sh\n"
                + "echo \"crisp: this shim publishes events by running a binary; crisp receives them only over"
                + " TTRPC_ADDRESS (containerd 1.6+ shims, Kata 2+)\" >&2\n"
                + "exit 1\n";
        AtomicFiles.writeAtomically(path, script.getBytes(StandardCharsets.UTF_8));
        // Written before any shim of this backend starts, so the moment without the execute bit is unseen.
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-x---"));
        return path;
    }
}
