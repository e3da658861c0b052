package io.crisp.core.network.cni;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Whether a path still names a network namespace: a /proc/.../ns/net link, or a bind mount of type
 * nsfs. A pinned netns file that was unmounted is an empty regular file, which plugins refuse as
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
            List<String> mounts = Files.readAllLines(Path.of("/proc/self/mountinfo"));
            for (String line : mounts) {
                String[] fields = line.split(" ");
                int dash = List.of(fields).indexOf("-");
                if (fields.length > 4 && dash > 0 && dash + 1 < fields.length && "nsfs".equals(fields[dash + 1])
                        && unescape(fields[4]).equals(real.toString())) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return true; // cannot tell: let the plugin decide
        }
    }

    private static String unescape(String field) {
        return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }
}
