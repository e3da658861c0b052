package io.crisp.core.network;

import io.crisp.core.os.Mounts;
import io.crisp.core.state.MountInfo;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What {@link NetworkNamespaces} and {@link PinnedNamespaces} share about their pins: the sandbox ids
 * that name them, listing them after a restart, and unpinning one (whether a pin holds a namespace
 * is {@link io.crisp.core.os.Nsfs}'s, shared with CNI's teardown).
 */
final class NamespacePins {
    /** A single path name, so a pin is always a direct child of its directory, never {@code ..} or a nested path. */
    static final Pattern SANDBOX_ID = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}");
    /** Stacked mounts on one pin are unmounted one by one; more than this many is a bug elsewhere. */
    private static final int MAX_UNMOUNTS = 16;

    private NamespacePins() {}

    /** {@code sandboxId} if it is one, else INVALID_ARGUMENT naming {@code forWhat} ("a network namespace"). */
    static String validId(String sandboxId, String forWhat) {
        if (sandboxId == null || !SANDBOX_ID.matcher(sandboxId).matches()) {
            throw BackendException.invalidArgument("invalid sandbox id \"%s\" for %s: expected %s", sandboxId, forWhat,
                    SANDBOX_ID.pattern());
        }
        return sandboxId;
    }

    /** The sandbox ids with an entry in {@code dir}, pinned or leftovers, sorted; {@code what} names them in an error. */
    static List<String> list(Path dir, String what) {
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (SANDBOX_ID.matcher(name).matches()) {
                    ids.add(name);
                }
            }
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "cannot list " + what + dir + ": " + e.getMessage(), e);
        }
        ids.sort(null);
        return ids;
    }

    /**
     * Unmounts everything stacked on {@code point} (detaching what is busy); {@code subject} ("pod
     * sandbox X") and {@code namespace} ("the namespace of pod sandbox X") name it in errors.
     */
    static void unpin(String point, String subject, String namespace) {
        for (int round = 0; MountInfo.lastAt(point) != null; round++) {
            if (round == MAX_UNMOUNTS) {
                throw new BackendException(Kind.INTERNAL, subject + ": " + point + " is still mounted after " + MAX_UNMOUNTS + " unmounts");
            }
            try {
                Mounts.unmountOrDetach(point);
            } catch (IOException e) {
                throw new BackendException(Kind.INTERNAL, "cannot unmount " + namespace + " at " + point + ": " + e.getMessage(), e);
            }
        }
    }
}
