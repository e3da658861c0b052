package io.crisp.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What one daemon's pods and containers really are on the host, read without the daemon: runc's
 * own list, conmon processes, mounts, pinned network namespaces, cgroups, and the files of the
 * stores. Every object is named by its 64-hex id.
 */
final class CrashHost {
    private static final Pattern ID = Pattern.compile("[a-f0-9]{64}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CGROUPS = Path.of("/sys/fs/cgroup");

    private final DaemonProcess daemon;
    private final String cgroupParent;

    CrashHost(DaemonProcess daemon, String cgroupParent) {
        this.daemon = daemon;
        this.cgroupParent = cgroupParent;
    }

    /** runc's containers under the daemon's runtime root: id to status (created, running, stopped, ...). */
    Map<String, String> runc() {
        String out = TestNetwork.run("runc", "--root", daemon.state.resolve("runc").toString(), "list", "--format", "json").trim();
        Map<String, String> states = new TreeMap<>();
        if (out.isEmpty() || out.equals("null")) {
            return states;
        }
        try {
            for (JsonNode c : JSON.readTree(out)) {
                states.put(c.path("id").asText(), c.path("status").asText());
            }
        } catch (IOException e) {
            throw new AssertionError("runc list printed no JSON: " + out, e);
        }
        return states;
    }

    /** Ids named on the command lines of conmon processes that belong to this daemon. */
    Set<String> conmons() {
        Set<String> ids = new TreeSet<>();
        HostProcesses.commandLines().values().stream()
                .filter(cmd -> cmd.startsWith("/usr/bin/conmon ") || cmd.startsWith("conmon "))
                .filter(cmd -> cmd.contains(daemon.dir.toString()))
                .forEach(cmd -> ids.addAll(idsIn(cmd)));
        return ids;
    }

    /** Ids in the mount points under the daemon's directories (rootfs overlays, netns pins). */
    Set<String> mounts() {
        Set<String> ids = new TreeSet<>();
        String real = realPath(daemon.dir);
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
            lines.map(l -> l.split(" ")[4]).filter(p -> p.startsWith(real) || p.startsWith(daemon.dir.toString()))
                    .forEach(p -> ids.addAll(idsIn(p)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ids;
    }

    /** Ids of the cgroups under the pods' cgroup parent, in every v1 controller that has it. */
    Set<String> cgroups() {
        Set<String> ids = new TreeSet<>();
        for (Path dir : cgroupParents()) {
            ids.addAll(idsIn(dir));
        }
        return ids;
    }

    /** The cgroup parent's directory in each controller that has one. */
    java.util.List<Path> cgroupParents() {
        try (Stream<Path> controllers = Files.list(CGROUPS)) {
            return controllers.map(c -> c.resolve(cgroupParent.substring(1))).filter(Files::isDirectory).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The ids of the entries of a directory (records, marks, bundles, snapshots, netns pins). */
    static Set<String> idsIn(Path dir) {
        Set<String> ids = new TreeSet<>();
        if (!Files.isDirectory(dir)) {
            return ids;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            entries.forEach(p -> ids.addAll(idsIn(p.getFileName().toString())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ids;
    }

    /** Names in a directory that end with {@code suffix}. */
    static Set<String> named(Path dir, String suffix) {
        Set<String> names = new TreeSet<>();
        if (!Files.isDirectory(dir)) {
            return names;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            entries.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(suffix)).forEach(names::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return names;
    }

    static Set<String> idsIn(String text) {
        Set<String> ids = new TreeSet<>();
        Matcher m = ID.matcher(text);
        while (m.find()) {
            ids.add(m.group());
        }
        return ids;
    }

    private static String realPath(Path p) {
        try {
            return p.toRealPath().toString();
        } catch (IOException e) {
            return p.toString();
        }
    }

    /** The image store as its records say: referenced diff_ids and blob digests (hex only). */
    record ImageFiles(Set<String> diffIds, Set<String> blobs) {}

    ImageFiles referenced() {
        Set<String> diffIds = new TreeSet<>();
        Set<String> blobs = new TreeSet<>();
        Path meta = daemon.root.resolve("images/meta");
        for (String name : named(meta, ".json")) {
            try {
                JsonNode image = JSON.readTree(meta.resolve(name).toFile()).path("image");
                blobs.add(hex(image.path("id").asText()));
                image.path("repoDigests").forEach(d -> blobs.add(hex(d.asText().substring(d.asText().indexOf('@') + 1))));
                for (JsonNode layer : image.path("layers")) {
                    blobs.add(hex(layer.path("digest").asText()));
                    diffIds.add(hex(layer.path("diffId").asText()));
                }
            } catch (IOException e) {
                throw new AssertionError("image record " + name + " is unreadable", e);
            }
        }
        return new ImageFiles(diffIds, blobs);
    }

    private static String hex(String digest) {
        return digest.substring(digest.indexOf(':') + 1);
    }
}
