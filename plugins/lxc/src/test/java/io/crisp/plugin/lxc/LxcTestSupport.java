package io.crisp.plugin.lxc;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.plugin.kit.FileTrees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Prerequisites and helpers of the tests that start real LXC containers. */
final class LxcTestSupport {
    static final List<Path> BINARIES = List.of(Path.of("/usr/bin/lxc-execute"), Path.of("/usr/bin/lxc-attach"),
            Path.of("/usr/bin/lxc-info"), Path.of("/usr/bin/conmon"), Path.of("/bin/busybox"));
    private static final ObjectMapper JSON = new ObjectMapper();

    private LxcTestSupport() {}

    /** Root, LXC, conmon and busybox, or the test is skipped (and fails loudly under CI=true). */
    static void requirePrerequisites() {
        List<String> missing = new ArrayList<>();
        if (!"root".equals(System.getProperty("user.name"))) {
            missing.add("root");
        }
        BINARIES.stream().filter(p -> !Files.isExecutable(p)).forEach(p -> missing.add(p.toString()));
        if (!missing.isEmpty()) {
            if ("true".equals(System.getenv("CI"))) {
                fail("LXC tests need " + missing + " (apt-get install lxc liblxc1 conmon busybox-static)");
            }
            assumeTrue(false, "LXC tests skipped, missing " + missing);
        }
    }

    static Path adapter(Path dir) throws IOException {
        return LxcAdapter.install(dir.resolve("bin"), Path.of("/usr/bin"));
    }

    static void deleteTree(Path dir) throws IOException {
        if (dir != null) {
            FileTrees.deleteTree(dir);
        }
    }

    /** LXC's lock files of containers run from {@code lxcpath} (/run/lxc/lock/LXCPATH), and the empty directories above. */
    static void removeLxcLocks(Path lxcpath) throws IOException {
        Path locks = Path.of("/run/lxc/lock");
        Path dir = Path.of(locks + lxcpath.toAbsolutePath().toString());
        FileTrees.deleteTree(dir);
        for (Path p = dir.getParent(); p != null && p.startsWith(locks) && !p.equals(locks); p = p.getParent()) {
            try {
                Files.delete(p);
            } catch (IOException e) {
                break;
            }
        }
    }

    /** A container run by lxc-execute in the foreground from the translation of {@code bundle}. */
    static Running execute(Path dir, Path bundle, String id, LxcHost host) throws Exception {
        LxcTranslator.Target target = new LxcTranslator.Target(id, bundle, adapter(dir), dir.resolve(id + ".oom"), p -> p);
        LxcTranslator.LxcBundle translated = LxcTranslator.translate(JSON.readTree(bundle.resolve("config.json").toFile()),
                target, host);
        LxcBundleFiles.write(bundle, translated);
        Path lxcpath = Files.createDirectories(dir.resolve("lxc"));
        List<String> command = new ArrayList<>(List.of("lxc-execute", "-P", lxcpath.toString(), "-n", id, "-f",
                bundle.resolve(LxcBundleFiles.CONFIG).toString(), "--"));
        command.addAll(translated.argv());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        return new Running(p, out, lxcpath, id);
    }

    record Running(Process process, CompletableFuture<String> out, Path lxcpath, String id) {
        /** The pid of the container's init, once LXC reports it. */
        long awaitInit() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                Process info = new ProcessBuilder("lxc-info", "-P", lxcpath.toString(), "-n", id, "-pH").start();
                String pid = new String(info.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                info.waitFor();
                if (info.exitValue() == 0 && pid.matches("[0-9]+")) {
                    return Long.parseLong(pid);
                }
                if (!process.isAlive()) {
                    fail("lxc-execute " + id + " exited " + process.exitValue() + ": " + out.getNow(""));
                }
                Thread.sleep(20);
            }
            fail("container " + id + " did not start within 10s");
            return -1;
        }

        int await() throws Exception {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("container " + id + " did not exit within 30s");
            }
            return process.exitValue();
        }

        String output() throws Exception {
            return out.get(10, TimeUnit.SECONDS);
        }

        String outputNow() {
            return out.getNow("(still running)");
        }

        /** Ends the container as the adapter does: SIGTERM to the application (init.lxc's child), then waits. */
        void kill() throws Exception {
            long init = awaitInit();
            String children = Files.readString(Path.of("/proc/" + init + "/task/" + init + "/children")).trim();
            new ProcessBuilder("kill", "-TERM", children.split(" ")[0]).start().waitFor();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
