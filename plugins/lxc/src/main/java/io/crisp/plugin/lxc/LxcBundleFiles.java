package io.crisp.plugin.lxc;

import io.crisp.plugin.kit.AtomicFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The files the plugin writes next to config.json for the adapter (see crisp-lxc-oci): the LXC
 * configuration, NUL-separated argv and environment, shell assignments and the seccomp policy.
 */
final class LxcBundleFiles {
    static final String CONFIG = "lxc.conf";
    static final String ARGV = "lxc.argv";
    static final String ENV = "lxc.env";
    static final String ADAPTER = "lxc.adapter";
    static final String SECCOMP = "lxc.seccomp";
    static final String RESHARE = "lxc.reshare";
    static final String SYSCTL = "lxc.sysctl";
    static final List<String> ALL = List.of(CONFIG, ARGV, ENV, ADAPTER, SECCOMP, RESHARE, SYSCTL);

    private LxcBundleFiles() {}

    static void write(Path bundleDir, LxcTranslator.LxcBundle bundle) throws IOException {
        if (bundle.seccomp().isPresent()) {
            AtomicFiles.writeAtomically(bundleDir.resolve(SECCOMP), bundle.seccomp().get().getBytes(StandardCharsets.UTF_8));
        }
        AtomicFiles.writeAtomically(bundleDir.resolve(ARGV), nulSeparated(bundle.argv()));
        AtomicFiles.writeAtomically(bundleDir.resolve(ENV), nulSeparated(bundle.env()));
        AtomicFiles.writeAtomically(bundleDir.resolve(RESHARE), nulSeparated(bundle.reshare()));
        AtomicFiles.writeAtomically(bundleDir.resolve(SYSCTL), nulSeparated(bundle.sysctls()));
        AtomicFiles.writeAtomically(bundleDir.resolve(ADAPTER), assignments(bundle.adapterVars()).getBytes(StandardCharsets.UTF_8));
        AtomicFiles.writeAtomically(bundleDir.resolve(CONFIG),
                (String.join("\n", bundle.config()) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Removes what {@link #write} wrote; missing files are fine. */
    static void delete(Path bundleDir) {
        for (String name : ALL) {
            try {
                Files.deleteIfExists(bundleDir.resolve(name));
            } catch (IOException e) {
                // The core removes the bundle directory anyway.
            }
        }
    }

    static byte[] nulSeparated(List<String> values) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String v : values) {
            out.writeBytes(v.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    /** {@code NAME='value'} lines a shell sources safely: a quote inside becomes {@code '\''}. */
    static String assignments(Map<String, String> vars) {
        StringBuilder b = new StringBuilder();
        vars.forEach((k, v) -> b.append(k).append("='").append(v.replace("'", "'\\''")).append("'\n"));
        return b.toString();
    }
}
