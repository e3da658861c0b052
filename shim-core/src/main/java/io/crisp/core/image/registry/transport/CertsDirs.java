package io.crisp.core.image.registry.transport;

import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;

/**
 * Per-registry TLS material from certs.d directories, the layout containers-certs.d(5) and Docker share:
 * {@code <dir>/<host[:port]>/} holds {@code *.crt} files (CA certificates trusted for that host in addition to the
 * system's) and {@code *.cert} + {@code *.key} pairs (client certificates, the key named like its certificate).
 * The first of the configured directories that has a {@code <host[:port]>} subdirectory is used, as containers/image
 * does; the others are not merged in.
 *
 * <p>The files are read on every pull, so a change applies to the next pull without a reload; the TLS context
 * built from them is cached by their content. A file that cannot be read or used fails the pull with
 * FAILED_PRECONDITION naming it: never a silent fall back to the system trust alone.
 */
public final class CertsDirs {
    private static final int MAX_CACHED = 64;
    /** Built TLS contexts by the sha256 of the files they were built from. */
    private final Map<String, SSLContext> contexts = new ConcurrentHashMap<>();

    /** The host's material, or empty when no directory has files for it (the JDK's default TLS then). */
    public Optional<SSLContext> contextFor(List<Path> dirs, String hostAndPort) {
        Optional<Path> dir = hostDir(dirs, hostAndPort);
        if (dir.isEmpty()) {
            return Optional.empty();
        }
        List<Path> files = files(dir.get());
        if (files.isEmpty()) {
            return Optional.empty();
        }
        String key = fingerprint(files);
        SSLContext cached = contexts.get(key);
        if (cached != null) {
            return Optional.of(cached);
        }
        SSLContext built = TlsMaterial.build(dir.get(), files);
        if (contexts.size() >= MAX_CACHED) {
            contexts.clear(); // old material of files since changed; rebuilt on demand
        }
        contexts.put(key, built);
        return Optional.of(built);
    }

    /** {@code <dir>/<host[:port]>} of the first directory that has one. */
    static Optional<Path> hostDir(List<Path> dirs, String hostAndPort) {
        if (hostAndPort.isEmpty() || hostAndPort.contains("/") || hostAndPort.equals("..") || hostAndPort.equals(".")) {
            return Optional.empty();
        }
        for (Path dir : dirs) {
            Path candidate = dir.resolve(hostAndPort);
            if (Files.isDirectory(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The {@code .crt}, {@code .cert} and {@code .key} files of a host directory, sorted; other files are ignored. */
    private static List<Path> files(Path hostDir) {
        try (Stream<Path> list = Files.list(hostDir)) {
            return list.filter(p -> {
                String name = p.getFileName().toString();
                return name.endsWith(".crt") || name.endsWith(".cert") || name.endsWith(".key");
            }).sorted().toList();
        } catch (IOException e) {
            throw new BackendException(BackendException.Kind.FAILED_PRECONDITION,
                    "cannot list TLS directory " + hostDir + ": " + e.getMessage());
        }
    }

    private static String fingerprint(List<Path> files) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Path file : files) {
                sha.update(file.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(TlsMaterial.read(file));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
