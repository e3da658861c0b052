package io.crisp.plugin.lxc;

import io.crisp.plugin.kit.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The adapter program (crisp-lxc-oci, a bash script shipped in the plugin JAR): conmon's
 * {@code --runtime}, and LXC's stop hook. Written into the handler's state directory when the
 * backend starts, so that the JAR and the script on disk can never disagree.
 */
final class LxcAdapter {
    static final String NAME = "crisp-lxc-oci";

    private LxcAdapter() {}

    /**
     * Writes the adapter into {@code dir} (replacing an older one atomically) with its settings file
     * ({@code crisp-lxc-oci.env}: where the LXC tools are) and returns its path.
     */
    static Path install(Path dir, Path lxcBinDir) throws IOException {
        byte[] script;
        try (InputStream in = LxcAdapter.class.getResourceAsStream(NAME)) {
            if (in == null) {
                throw new IOException(NAME + " is missing from the plugin JAR");
            }
            script = in.readAllBytes();
        }
        Files.createDirectories(dir);
        AtomicFiles.writeAtomically(dir.resolve(NAME + ".env"),
                LxcBundleFiles.assignments(java.util.Map.of("LXC_BIN_DIR", lxcBinDir.toString())).getBytes(
                        java.nio.charset.StandardCharsets.UTF_8));
        Path target = dir.resolve(NAME);
        if (Files.isRegularFile(target) && java.util.Arrays.equals(Files.readAllBytes(target), script)
                && Files.isExecutable(target)) {
            return target;
        }
        AtomicFiles.writeAtomically(target, script);
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
        return target;
    }
}
