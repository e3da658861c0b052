package io.crisp.plugin.kit.seccomp;

import java.io.IOException;
import java.io.InputStream;

/**
 * crisp-seccomp, the static loader built from {@code src/main/go/crisp-seccomp} into this package
 * during the build: {@code crisp-seccomp [--no-new-privs] [--flags N] FILTER_FILE -- CMD ARGS...}
 * loads a filter {@link SeccompCompiler} wrote and execs CMD under it (127 when the filter cannot be
 * loaded or CMD is not found, 126 when CMD cannot be executed).
 */
public final class SeccompLoader {
    public static final String FILE_NAME = "crisp-seccomp";

    private SeccompLoader() {}

    /** The loader's bytes, to install as an executable file. */
    public static byte[] binary() throws IOException {
        try (InputStream in = SeccompLoader.class.getResourceAsStream(FILE_NAME)) {
            if (in == null) {
                throw new IOException("resource " + FILE_NAME + " is missing from the JAR (built by `go build` during"
                        + " the Maven build of plugins/kit)");
            }
            return in.readAllBytes();
        }
    }
}
