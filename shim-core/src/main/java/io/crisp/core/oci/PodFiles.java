package io.crisp.core.oci;

import io.crisp.core.state.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The per-pod files every container of the pod bind-mounts: /etc/hostname, /etc/hosts,
 * /etc/resolv.conf and the directory shared as /dev/shm.
 */
public record PodFiles(Path hostname, Path hosts, Path resolvConf, Path shm) {
    static final Path HOST_RESOLV_CONF = Path.of("/etc/resolv.conf");
    static final Path HOST_HOSTS = Path.of("/etc/hosts");

    /**
     * Creates, in {@code dir}: {@code hostname} (the given hostname and a newline); {@code hosts}
     * (127.0.0.1 and ::1 as localhost and the hostname; a copy of the host's /etc/hosts when the pod uses
     * the node's network); {@code resolv.conf} (from the pod's DNS servers, searches and options, or a copy
     * of the host's /etc/resolv.conf when none is given; empty when the host has none); {@code shm/}, a
     * directory with mode 1777. Files are mode 0644 so any container user can read them.
     */
    public static PodFiles write(Path dir, PodSettings pod, String hostname) throws IOException {
        PodFiles files = at(dir);
        Files.createDirectories(dir);
        writeText(files.hostname, hostname + "\n");
        if (pod.networkMode() == NamespaceMode.NODE && Files.isRegularFile(HOST_HOSTS)) {
            writeText(files.hosts, Files.readString(HOST_HOSTS, StandardCharsets.UTF_8));
        } else {
            String name = hostname.isEmpty() ? "" : " " + hostname;
            writeText(files.hosts, "127.0.0.1\tlocalhost" + name + "\n::1\tlocalhost ip6-localhost ip6-loopback" + name + "\n");
        }
        writeText(files.resolvConf, resolvConf(pod.dns()));
        Files.createDirectories(files.shm);
        Files.setPosixFilePermissions(files.shm, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setAttribute(files.shm, "unix:mode", 01777);
        return files;
    }

    /** The same paths as {@link #write}, without touching the disk (for a pod that exists already). */
    public static PodFiles at(Path dir) {
        return new PodFiles(dir.resolve("hostname"), dir.resolve("hosts"), dir.resolve("resolv.conf"), dir.resolve("shm"));
    }

    /** The resolv.conf text for the pod's DNS settings, the host's file when none are given. */
    static String resolvConf(DnsSettings dns) throws IOException {
        if (dns.isEmpty()) {
            return Files.isRegularFile(HOST_RESOLV_CONF) ? Files.readString(HOST_RESOLV_CONF, StandardCharsets.UTF_8) : "";
        }
        StringBuilder out = new StringBuilder();
        if (!dns.searches().isEmpty()) {
            out.append("search ").append(String.join(" ", dns.searches())).append('\n');
        }
        dns.servers().forEach(s -> out.append("nameserver ").append(s).append('\n'));
        if (!dns.options().isEmpty()) {
            out.append("options ").append(String.join(" ", dns.options())).append('\n');
        }
        return out.toString();
    }

    private static void writeText(Path file, String text) throws IOException {
        AtomicFiles.write(file, text.getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }
}
