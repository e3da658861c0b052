package io.crisp.core.cli;

import io.crisp.core.CrispBuild;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code crisp version}: this build's versions. */
@Command(name = "version", versionProvider = Main.Version.class, mixinStandardHelpOptions = true, description = "Print crisp's version, the CRI API version and the plugin SPI version.")
final class VersionCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println("crisp " + CrispBuild.VERSION);
        System.out.println("CRI API " + CrispBuild.CRI_API_VERSION + " (runtime.v1)");
        System.out.println("plugin SPI " + CrispBuild.SPI_VERSION);
        System.out.println("java " + Runtime.version());
        return 0;
    }
}
