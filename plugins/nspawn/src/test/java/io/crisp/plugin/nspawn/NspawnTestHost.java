package io.crisp.plugin.nspawn;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the tests that start real pod machines need on the host; under CI=true a gap fails loudly. */
final class NspawnTestHost {
    static final List<Path> BINARIES = List.of(NspawnConfig.DEFAULT_NSPAWN, NspawnConfig.DEFAULT_MONITOR,
            NspawnConfig.DEFAULT_CAPSH, NspawnConfig.DEFAULT_BUSYBOX, NspawnConfig.DEFAULT_INIT);

    private NspawnTestHost() {}

    static void requireRoot() {
        require(List.of());
    }

    static void requireBinaries() {
        require(BINARIES);
    }

    private static void require(List<Path> binaries) {
        List<String> missing = new ArrayList<>();
        if (!"root".equals(System.getProperty("user.name"))) {
            missing.add("root");
        }
        binaries.stream().filter(b -> !Files.isExecutable(b)).forEach(b -> missing.add(b.toString()));
        if (!missing.isEmpty()) {
            if ("true".equals(System.getenv("CI"))) {
                fail("nspawn tests need " + missing);
            }
            assumeTrue(false, "nspawn tests skipped, missing " + missing);
        }
    }
}
