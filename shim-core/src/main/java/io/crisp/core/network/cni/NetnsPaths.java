package io.crisp.core.network.cni;

import io.crisp.core.os.Nsfs;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether a path still names a network namespace: a /proc/.../ns/net link, or a bind mount of type
 * nsfs ({@link Nsfs}: one lstat). A pinned netns file that was unmounted is an empty regular file, which plugins refuse as
 * "not a network namespace"; DEL then gets an empty CNI_NETNS, as the spec allows.
 */
final class NetnsPaths {
    private NetnsPaths() {}

    static boolean isLiveNetns(Path netns) {
        if (netns == null || netns.toString().isEmpty() || !Files.exists(netns)) {
            return false;
        }
        if (netns.startsWith("/proc")) {
            return true;
        }
        Path real;
        try {
            real = netns.toRealPath();
        } catch (IOException e) {
            return false;
        }
        try {
            return Nsfs.holdsNamespace(real);
        } catch (BackendException e) {
            return true; // cannot tell: let the plugin decide
        }
    }
}
