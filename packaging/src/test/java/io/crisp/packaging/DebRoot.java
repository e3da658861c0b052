package io.crisp.packaging;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway Debian 12 root: a copy of the cached debootstrap root ({@code packaging/deb/bookworm-root.sh}),
 * entered for each command in a mount namespace of its own ({@code unshare -m}) with /proc, /dev and
 * /sys mounted and the shared apt archive cache bound over /var/cache/apt/archives, then chroot. The
 * mounts die with the namespace; {@link #close()} ends every process whose root is this copy (a
 * daemon started in it) and deletes the copy.
 */
final class DebRoot implements AutoCloseable {
    /** Output and exit code of one command. */
    record Result(int exit, String output) {
        boolean ok() {
            return exit == 0;
        }
    }

    private static final String ENTER = """
            set -e
            root=$1; archives=$2; shift 2
            mount -t proc proc "$root/proc"
            mount --rbind /dev "$root/dev"
            mount --rbind /sys "$root/sys"
            mount --bind "$archives" "$root/var/cache/apt/archives"
            exec chroot "$root" "$@"
            """;

    final Path dir;
    private final Path archives;

    private DebRoot(Path dir, Path archives) {
        this.dir = dir;
        this.archives = archives;
    }

    /** Copies {@code base} (made by bookworm-root.sh; apt's downloads kept in {@code archives}) to a fresh directory. */
    static DebRoot copyOf(Path base, Path archives) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(Path.of("/var/tmp"), "crisp-deb-root-");
        Result copy = host(List.of("cp", "-a", base + "/.", dir.toString()), 300);
        if (!copy.ok()) {
            throw new IOException("copying " + base + " failed: " + copy.output());
        }
        return new DebRoot(dir, archives);
    }

    /** Runs {@code command} inside the root (as root, in its own mount namespace). */
    Result run(int timeoutSeconds, String... command) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private", "sh", "-c", ENTER, "sh",
                dir.toString(), archives.toString()));
        argv.addAll(List.of(command));
        return host(argv, timeoutSeconds);
    }

    /** Runs {@code sh -c script} inside the root. */
    Result sh(int timeoutSeconds, String script) throws IOException, InterruptedException {
        return run(timeoutSeconds, "sh", "-c", script);
    }

    /** The host path of {@code path} inside the root. */
    Path path(String path) {
        return dir.resolve(path.startsWith("/") ? path.substring(1) : path);
    }

    /** Pids of the processes whose root directory is this copy. */
    List<Long> processes() throws IOException {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    if (Files.readSymbolicLink(p.resolve("root")).equals(dir)) {
                        pids.add(Long.parseLong(name));
                    }
                } catch (IOException gone) {
                    // exited meanwhile, or not ours to read
                }
            }
        }
        return pids;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        for (int round = 0; round < 50; round++) {
            List<Long> pids = processes();
            if (pids.isEmpty()) {
                break;
            }
            for (long pid : pids) {
                ProcessHandle.of(pid).ifPresent(round < 25 ? ProcessHandle::destroy : ProcessHandle::destroyForcibly);
            }
            Thread.sleep(200);
        }
        // No mount of ours can remain (each lived in a namespace that ended with its processes), and
        // --one-file-system keeps rm from entering one if it did.
        host(List.of("rm", "-rf", "--one-file-system", dir.toString()), 300);
    }

    static Result host(List<String> argv, int timeoutSeconds) throws IOException, InterruptedException {
        Path out = Files.createTempFile("crisp-deb-", ".out");
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IOException("timed out after " + timeoutSeconds + " s: " + argv + "\n" + Files.readString(out, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
