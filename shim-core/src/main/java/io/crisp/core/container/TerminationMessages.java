package io.crisp.core.container;

import io.crisp.core.oci.ContainerSettings;
import io.crisp.core.oci.MountSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The message of an exited container: what it wrote to its termination message path. The kubelet
 * names that path in an annotation and bind-mounts a host file there; reading the host file's first
 * 4 KiB (the kubelet's own limit) gives the message.
 */
final class TerminationMessages {
    static final String PATH_ANNOTATION = "io.kubernetes.container.terminationMessagePath";
    private static final int MAX_BYTES = 4096;

    private TerminationMessages() {}

    static String read(ContainerSettings settings) {
        String path = settings.annotations().get(PATH_ANNOTATION);
        if (path == null || path.isEmpty()) {
            return "";
        }
        for (MountSettings mount : settings.mounts()) {
            if (mount.containerPath().equals(path)) {
                Path host = Path.of(mount.hostPath());
                if (!Files.isRegularFile(host, LinkOption.NOFOLLOW_LINKS)) {
                    return "";
                }
                try (InputStream in = Files.newInputStream(host, LinkOption.NOFOLLOW_LINKS)) {
                    return new String(in.readNBytes(MAX_BYTES), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return "";
                }
            }
        }
        return "";
    }
}
