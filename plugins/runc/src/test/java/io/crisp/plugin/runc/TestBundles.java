package io.crisp.plugin.runc;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/** Builds OCI bundles with a busybox rootfs for tests that drive the real runc and conmon. */
final class TestBundles {
    static final Path RUNC = Path.of("/usr/sbin/runc");
    static final Path CONMON = Path.of("/usr/bin/conmon");
    static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final List<String> APPLETS = List.of("sh", "sleep", "echo", "cat", "head", "tr", "true", "false", "ls", "ps", "stty", "kill");

    private TestBundles() {}

    /** Root, runc, conmon and busybox, or the test is skipped (and fails loudly under CI=true). */
    static void requirePrerequisites() {
        String missing = "";
        if (!"root".equals(System.getProperty("user.name"))) {
            missing += " root";
        }
        for (Path p : List.of(RUNC, CONMON, BUSYBOX)) {
            if (!Files.isExecutable(p)) {
                missing += " " + p;
            }
        }
        if (!missing.isEmpty()) {
            if ("true".equals(System.getenv("CI"))) {
                fail("runc lifecycle tests need:" + missing);
            }
            assumeTrue(false, "runc lifecycle tests skipped, missing:" + missing);
        }
    }

    /** A bundle {@code dir} whose process runs {@code sh -c script}; joins {@code sandboxPid}'s net/ipc if given. */
    static Path bundle(Path dir, String id, String script, OptionalLong sandboxPid, long memoryLimit) throws IOException {
        String ns = sandboxPid.isPresent()
                ? "{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"uts\"},"
                        + "{\"type\":\"ipc\",\"path\":\"/proc/" + sandboxPid.getAsLong() + "/ns/ipc\"},"
                        + "{\"type\":\"network\",\"path\":\"/proc/" + sandboxPid.getAsLong() + "/ns/net\"}"
                : "{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"network\"}";
        return bundle(dir, id, script, ns, memoryLimit);
    }

    /** As above, with {@code ns} the entries of {@code linux.namespaces} as JSON (without the brackets). */
    static Path bundle(Path dir, String id, String script, String ns, long memoryLimit) throws IOException {
        Path rootfs = dir.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("bin"));
        for (String d : List.of("proc", "dev", "sys", "tmp")) {
            Files.createDirectories(rootfs.resolve(d));
        }
        Files.copy(BUSYBOX, rootfs.resolve("bin/busybox"));
        for (String applet : APPLETS) {
            Files.createSymbolicLink(rootfs.resolve("bin").resolve(applet), Path.of("busybox"));
        }
        String resources = memoryLimit > 0 ? ",\"resources\":{\"memory\":{\"limit\":" + memoryLimit + "}}" : "";
        String config = "{\"ociVersion\":\"1.0.2\","
                + "\"process\":{\"terminal\":false,\"user\":{\"uid\":0,\"gid\":0},"
                + "\"args\":[\"sh\",\"-c\"," + quote(script) + "],"
                + "\"env\":[\"PATH=/bin\",\"GREETING=hi from env\"],\"cwd\":\"/tmp\"},"
                + "\"root\":{\"path\":" + quote(rootfs.toString()) + "},\"hostname\":\"t\","
                + "\"mounts\":["
                + "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
                + "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
                + "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\"]},"
                + "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
                + "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]}],"
                + "\"linux\":{\"cgroupsPath\":\"" + cgroupsPath(id) + "\",\"namespaces\":[" + ns + "]" + resources + "}}";
        Files.writeString(dir.resolve("config.json"), config);
        return dir;
    }

    private static String quote(String s) {
        return "\"" + s.chars().mapToObj(c -> switch (c) {
            case '"' -> "\\\"";
            case '\\' -> "\\\\";
            default -> String.valueOf((char) c);
        }).collect(Collectors.joining()) + "\"";
    }

    /** The linux.cgroupsPath of a test bundle, as the core would give it in the spec. */
    static String cgroupsPath(String id) {
        return "/crisp-test/" + id;
    }
}
