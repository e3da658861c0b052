package io.crisp.plugin.lxc;

import io.crisp.plugin.kit.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The adapter program (crisp-lxc-oci, a bash script shipped in the plugin JAR, with the exec part it
 * sources and its perl helpers): conmon's {@code --runtime}, and LXC's hooks. Written into the
 * handler's state directory when the backend starts, so that the JAR and the files on disk can never
 * disagree.
 */
final class LxcAdapter {
    static final String NAME = "crisp-lxc-oci";
    /** Read by the adapter from its own directory. */
    private static final List<String> PARTS = List.of("crisp-lxc-exec.sh", "crisp-lxc-enter.pl", "crisp-lxc-console.pl",
            "crisp-lxc-reshare.pl");

    private LxcAdapter() {}

    /**
     * Writes the adapter and its parts into {@code dir} (replacing older ones atomically) with its
     * settings file ({@code crisp-lxc-oci.env}: where the LXC tools are) and returns the adapter's path.
     */
    static Path install(Path dir, Path lxcBinDir) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.writeAtomically(dir.resolve(NAME + ".env"),
                LxcBundleFiles.assignments(Map.of("LXC_BIN_DIR", lxcBinDir.toString())).getBytes(StandardCharsets.UTF_8));
        for (String part : PARTS) {
            write(dir.resolve(part), resource(part), "rw-r--r--");
        }
        Path adapter = dir.resolve(NAME);
        write(adapter, resource(NAME), "rwxr-xr-x");
        return adapter;
    }

    private static void write(Path target, byte[] content, String mode) throws IOException {
        if (!Files.isRegularFile(target) || !Arrays.equals(Files.readAllBytes(target), content)) {
            AtomicFiles.writeAtomically(target, content);
        }
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(mode));
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = LxcAdapter.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException(name + " is missing from the plugin JAR");
            }
            return in.readAllBytes();
        }
    }
}
