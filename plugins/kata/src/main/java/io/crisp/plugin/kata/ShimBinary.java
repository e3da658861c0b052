package io.crisp.plugin.kata;

import static java.util.Objects.requireNonNull;

import io.crisp.plugin.kit.CappedDrain;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a shim binary's two command-line actions the way containerd does: {@code start}, which
 * launches the shim daemon for a sandbox and prints the ttrpc address it serves, and {@code delete},
 * which cleans up after a shim that died. Both run in the sandbox's bundle directory, where the shim
 * keeps its files (its address, its pid, the {@code log} FIFO).
 *
 * @param binary the shim, e.g. /usr/bin/containerd-shim-kata-v2
 * @param namespace the containerd namespace shims expect; {@code k8s.io} for CRI pods
 * @param address what containerd passes as its own socket: shims only hash it into their socket name
 * @param publishBinary what a shim would exec to publish an event (modern shims publish over
 *     {@code TTRPC_ADDRESS} instead)
 * @param environment added to the shim's environment (TTRPC_ADDRESS, KATA_CONF_FILE)
 */
record ShimBinary(Path binary, String namespace, String address, Path publishBinary, Map<String, String> environment) {
    static final Duration ACTION_TIMEOUT = Duration.ofSeconds(30);
    /** What is kept of an action's stdout and stderr: an address, or an error message. */
    private static final int OUTPUT_CAP = 64 * 1024;

    ShimBinary {
        requireNonNull(binary, "binary is null");
        requireNonNull(namespace, "namespace is null");
        requireNonNull(address, "address is null");
        requireNonNull(publishBinary, "publishBinary is null");
        environment = Map.copyOf(requireNonNull(environment, "environment is null"));
    }

    /**
     * {@code <shim> -namespace NS -address ADDR -publish-binary BIN -id ID start}, in the bundle
     * directory; returns the address the shim printed.
     *
     * @param options what containerd writes to the shim's stdin (serialised runtime options), or null
     */
    String start(String sandboxId, Path bundleDir, byte[] options) {
        Result r = run(List.of("-id", sandboxId, "start"), bundleDir, options);
        String address = r.stdout().strip();
        if (r.exitCode() != 0 || address.isEmpty()) {
            throw new BackendException(BackendException.Kind.INTERNAL, String.format(
                    "shim %s start for sandbox %s failed (exit %d): %s", binary, sandboxId, r.exitCode(), r.stderr().strip()));
        }
        // containerd 1.7+ shims may print a JSON bootstrap document; take its address when they do.
        if (address.startsWith("{")) {
            int key = address.indexOf("\"address\"");
            int open = key < 0 ? -1 : address.indexOf('"', address.indexOf(':', key) + 1);
            int close = open < 0 ? -1 : address.indexOf('"', open + 1);
            if (close < 0) {
                throw new BackendException(BackendException.Kind.INTERNAL,
                        "shim " + binary + " printed a bootstrap document without an address: " + address);
            }
            address = address.substring(open + 1, close);
        }
        return address;
    }

    /** {@code <shim> ... -id ID -bundle DIR delete}: the shim kills what is left and releases its state. */
    Result delete(String id, Path bundleDir) {
        return run(List.of("-id", id, "-bundle", bundleDir.toString(), "delete"), bundleDir, null);
    }

    record Result(int exitCode, String stdout, String stderr) {}

    private Result run(List<String> action, Path dir, byte[] stdin) {
        List<String> command = new ArrayList<>(List.of(binary.toString(), "-namespace", namespace, "-address", address,
                "-publish-binary", publishBinary.toString()));
        command.addAll(action);
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().putAll(environment);
        pb.environment().put("NAMESPACE", namespace);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new BackendException(BackendException.Kind.FAILED_PRECONDITION,
                    "cannot run shim " + binary + ": " + e.getMessage(), e);
        }
        try {
            CompletableFuture<byte[]> out = CappedDrain.start(process.getInputStream(), OUTPUT_CAP, "shim-stdout");
            CompletableFuture<byte[]> err = CappedDrain.start(process.getErrorStream(), OUTPUT_CAP, "shim-stderr");
            try (var in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin);
                }
            } catch (IOException e) {
                // The shim did not read its options; its exit status tells what happened.
            }
            if (!process.waitFor(ACTION_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new BackendException(BackendException.Kind.DEADLINE_EXCEEDED,
                        String.format("shim %s %s did not finish within %s", binary, action.get(action.size() - 1), ACTION_TIMEOUT));
            }
            // The daemon a start leaves behind inherits no pipe of ours (the shim re-execs itself
            // with its own stdio), so both streams end with the action.
            return new Result(process.exitValue(), text(out), text(err));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new BackendException(BackendException.Kind.INTERNAL, "interrupted while running shim " + binary, e);
        }
    }

    private static String text(CompletableFuture<byte[]> stream) {
        try {
            return new String(stream.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8);
        } catch (Exception e) {
            return "";
        }
    }
}
