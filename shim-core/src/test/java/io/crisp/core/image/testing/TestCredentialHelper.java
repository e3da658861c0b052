package io.crisp.core.image.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

/**
 * A real credential helper for tests: a bash script {@code docker-credential-NAME} in a directory
 * of the test's, which a daemon or a test finds on its {@code PATH}. What it does on {@code get} is
 * read at each run from files beside it, so a test changes it without restarting anyone:
 * {@code NAME.mode} (see {@link Mode}), {@code NAME.user} and {@code NAME.secret}. Every run
 * appends the server URL it read on stdin to {@code NAME.calls}; a hanging run writes its own pid
 * and its child's to {@code NAME.pids}.
 */
public final class TestCredentialHelper {
    /** What the next runs do. */
    public enum Mode {
        /** Prints {@code {"ServerURL", "Username", "Secret"}} and exits 0. */
        OK,
        /** Prints an answer with Username {@code <token>}: the secret is an identity token. */
        TOKEN,
        /** Prints docker-credential-helpers' "credentials not found in native keychain" and exits 1. */
        NOT_FOUND,
        /** Prints an error message and exits 3. */
        FAIL,
        /** Prints the whole credential answer, then exits 1. */
        FAIL_AFTER_ANSWER,
        /** Prints the user and secret as plain text, not JSON, and exits 0. */
        GARBAGE,
        /** Prints the credential answer without its closing brace and exits 0. */
        TRUNCATED,
        /** Starts a child that sleeps for an hour, and waits for it. */
        HANG
    }

    private final Path dir;
    private final String name;

    private TestCredentialHelper(Path dir, String name) {
        this.dir = dir;
        this.name = name;
    }

    /** Writes {@code dir/docker-credential-NAME}, answering {@code user}/{@code secret} in mode {@link Mode#OK}. */
    public static TestCredentialHelper create(Path dir, String name, String user, String secret) {
        TestCredentialHelper helper = new TestCredentialHelper(dir, name);
        try {
            Files.createDirectories(dir);
            Path script = helper.program();
            Files.writeString(script, SCRIPT.replace("@NAME@", name));
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.writeString(dir.resolve(name + ".user"), user);
            Files.writeString(dir.resolve(name + ".secret"), secret);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return helper.mode(Mode.OK);
    }

    private static final String SCRIPT = """
            #!/bin/bash
            # docker-credential-@NAME@: a credential helper written by a crisp test.
            dir=$(dirname "$0")
            if [ "$1" != get ]; then echo "unsupported action: $1" >&2; exit 2; fi
            url=$(cat)
            printf '%s\\n' "$url" >> "$dir/@NAME@.calls"
            user=$(cat "$dir/@NAME@.user")
            secret=$(cat "$dir/@NAME@.secret")
            answer() { printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"' "$url" "$1" "$secret"; }
            case "$(cat "$dir/@NAME@.mode")" in
              OK) answer "$user"; echo '}' ;;
              TOKEN) answer '<token>'; echo '}' ;;
              NOT_FOUND) echo 'credentials not found in native keychain'; exit 1 ;;
              FAIL) echo 'the keyring is locked'; echo 'more detail on stderr' >&2; exit 3 ;;
              FAIL_AFTER_ANSWER) answer "$user"; echo '}'; exit 1 ;;
              GARBAGE) echo "user=$user secret=$secret" ;;
              TRUNCATED) answer "$user" ;;
              HANG) sleep 3600 & echo "$$ $!" > "$dir/@NAME@.pids"; wait ;;
            esac
            """;

    /** Sets what the next runs do. */
    public TestCredentialHelper mode(Mode mode) {
        try {
            Files.writeString(dir.resolve(name + ".mode"), mode.name());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** The script. */
    public Path program() {
        return dir.resolve("docker-credential-" + name);
    }

    public Path dir() {
        return dir;
    }

    /** The server URLs the runs so far were asked for, in order. */
    public List<String> calls() {
        try {
            Path calls = dir.resolve(name + ".calls");
            return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The pids of the last hanging run: the script's and its sleeping child's. */
    public Optional<long[]> hangPids() {
        try {
            Path pids = dir.resolve(name + ".pids");
            if (!Files.exists(pids)) {
                return Optional.empty();
            }
            String[] parts = Files.readString(pids).strip().split(" ");
            return Optional.of(new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])});
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Whether the process {@code pid} is gone (not even a zombie left unreaped) within
     * {@code waitMillis}: a kill is asynchronous.
     */
    public static boolean gone(long pid, long waitMillis) {
        long deadline = System.nanoTime() + waitMillis * 1_000_000;
        while (Files.exists(Path.of("/proc/" + pid))) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
