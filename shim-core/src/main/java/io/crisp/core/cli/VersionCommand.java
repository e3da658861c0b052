package io.crisp.core.cli;

import io.crisp.core.CrispBuild;
import io.crisp.core.config.ConfigException;
import io.crisp.core.config.CrispConfig;
import io.crisp.core.server.SocketFile;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.VersionRequest;
import io.crisp.cri.v1.VersionResponse;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code crisp version}: this build's versions and, when a daemon answers on the configured socket,
 * the versions it reports over the CRI (like {@code crictl version}).
 */
@Command(name = "version", versionProvider = Main.Version.class, mixinStandardHelpOptions = true,
        description = "Print crisp's version, the CRI API and plugin SPI versions, and the running daemon's.")
final class VersionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        System.out.println("crisp " + CrispBuild.VERSION);
        System.out.println("CRI API " + CrispBuild.CRI_API_VERSION + " (runtime.v1)");
        System.out.println("plugin SPI " + CrispBuild.SPI_VERSION);
        System.out.println("java " + Runtime.version());
        CrispConfig config;
        try {
            config = ConfigFlags.load(spec);
        } catch (ConfigException e) {
            System.out.println("daemon: unknown, the configuration is refused: " + e.getMessage());
            return 0;
        }
        if (!SocketFile.answers(config.socketPath())) {
            System.out.println("daemon: not running on " + config.listen());
            return 0;
        }
        try (CriClient cri = CriClient.connect(config.socketPath(), Duration.ofSeconds(5))) {
            VersionResponse v = cri.runtime().version(VersionRequest.getDefaultInstance());
            System.out.println("daemon: " + v.getRuntimeName() + " " + v.getRuntimeVersion() + " (CRI " + v.getRuntimeApiVersion()
                    + ") on " + config.listen());
        } catch (StatusRuntimeException e) {
            System.out.println("daemon: " + config.listen() + " did not answer Version: " + e.getStatus());
        }
        return 0;
    }
}
