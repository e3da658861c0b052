package io.crisp.plugin.nspawn;

import io.crisp.plugin.kit.seccomp.SeccompLoader;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files the plugin owns under the handler's state directory, (re)written at every start:
 * <ul>
 *   <li>{@code nspawn-oci}: the adapter conmon runs as its runtime, and {@code nspawn-oci-app}, the
 *       app launch it sources (JAR resources);</li>
 *   <li>{@code stage1/}: the pod machine's directory, read-only to nspawn: the mount points nspawn
 *       needs, an empty {@code /usr} and {@code /init}, a copy of the static init (catatonit);</li>
 *   <li>{@code helpers/}: what an app's launch runs after it entered its own root, where the host's
 *       binaries are gone: capsh with its libraries and dynamic loader, static busybox, and the
 *       kit's static seccomp loader crisp-seccomp. It is
 *       mounted read-only at {@code /dev/.crisp-nspawn} in every app.</li>
 * </ul>
 * Each file is replaced by rename, so that running apps keep the inode they use.
 */
final class Installation {
    private static final Pattern LDD_LINE = Pattern.compile("^\\s*(?:\\S+\\s+=>\\s+)?(/\\S+)\\s+\\(0x");

    final Path adapter;
    final Path stage1;
    final Path helpers;
    final Path runtimeRoot;

    Installation(Path stateDir) {
        this.adapter = stateDir.resolve("nspawn-oci");
        this.stage1 = stateDir.resolve("stage1");
        this.helpers = stateDir.resolve("helpers");
        this.runtimeRoot = stateDir.resolve("apps");
    }

    void install(NspawnConfig config) {
        try {
            Files.createDirectories(runtimeRoot);
            for (String program : List.of("nspawn-oci", "nspawn-oci-app")) {
                try (InputStream in = Installation.class.getResourceAsStream(program)) {
                    if (in == null) {
                        throw new IOException("resource " + program + " is missing from the plugin JAR");
                    }
                    replace(adapter.resolveSibling(program), in.readAllBytes(), true);
                }
            }
            for (String d : List.of("usr", "proc", "sys", "dev", "run", "tmp", "etc", "var", "bin", "root")) {
                Files.createDirectories(stage1.resolve(d));
            }
            replace(stage1.resolve("init"), Files.readAllBytes(config.initPath()), true);
            Files.createDirectories(helpers);
            Map<String, Path> files = new LinkedHashMap<>(libraries(config.capshPath()));
            files.put("capsh", config.capshPath());
            files.put("busybox", config.busyboxPath());
            for (Map.Entry<String, Path> f : files.entrySet()) {
                replace(helpers.resolve(f.getKey()), Files.readAllBytes(f.getValue()), true);
            }
            replace(helpers.resolve(SeccompLoader.FILE_NAME), SeccompLoader.binary(), true);
        } catch (IOException e) {
            throw new BackendException(Kind.UNAVAILABLE, "nspawn handler: cannot install its files under "
                    + adapter.getParent() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The shared libraries of a dynamic binary, by the name it loads them under, and its loader as
     * {@code ld.so}, from {@code ldd}'s listing.
     */
    static Map<String, Path> libraries(Path binary) throws IOException {
        Process p = new ProcessBuilder("ldd", binary.toString()).redirectErrorStream(true).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("ldd " + binary + " failed: " + out.trim());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running ldd", e);
        }
        return parseLdd(out);
    }

    static Map<String, Path> parseLdd(String listing) {
        Map<String, Path> libs = new LinkedHashMap<>();
        List<String> lines = new ArrayList<>(listing.lines().toList());
        for (String line : lines) {
            Matcher m = LDD_LINE.matcher(line);
            if (!m.find()) {
                continue;
            }
            Path file = Path.of(m.group(1));
            boolean loader = !line.contains("=>");
            libs.put(loader ? "ld.so" : line.trim().split("\\s+")[0], file);
        }
        return libs;
    }

    private static void replace(Path target, byte[] content, boolean executable) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".new");
        Files.write(tmp, content);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
