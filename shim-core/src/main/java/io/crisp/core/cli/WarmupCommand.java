package io.crisp.core.cli;

import io.crisp.core.config.ConfigKey;
import io.crisp.core.config.ConfigLoader;
import io.crisp.core.config.ConfigPrinter;
import io.crisp.core.config.CrispConfig;
import io.crisp.core.daemon.Daemon;
import io.crisp.core.daemon.LogLevels;
import io.crisp.core.server.CriServer;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxMetadata;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.crisp.cri.v1.RuntimeConfigRequest;
import io.crisp.cri.v1.StatusRequest;
import io.crisp.cri.v1.VersionRequest;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;

/**
 * {@code crisp cds-warmup} (hidden): a short daemon run that walks the start path and the common
 * RPCs, for the launcher to record a class-data-sharing archive from. With the archive a daemon
 * starts in about half the time. Uses a private temp directory; touches nothing of a running daemon.
 */
@Command(name = "cds-warmup", hidden = true, description = "Exercise the daemon once so the launcher can archive its classes.")
final class WarmupCommand implements Callable<Integer> {
    @Override
    public Integer call() throws IOException {
        LogLevels.apply("error");
        CriServer.preload();
        Path dir = Files.createTempDirectory("crisp-warmup");
        try {
            Path socket = dir.resolve("crisp.sock");
            Map<ConfigKey, String> flags = new EnumMap<>(ConfigKey.class);
            flags.put(ConfigKey.LISTEN, "unix://" + socket);
            flags.put(ConfigKey.ROOT, dir.resolve("root").toString());
            flags.put(ConfigKey.STATE, dir.resolve("state").toString());
            Path config = dir.resolve("crisp.toml");
            Files.writeString(config, "log_level = \"error\"\n[runtimes.runc]\nplugin = \"runc\"\n");
            CrispConfig loaded = new ConfigLoader(ConfigFlags.crispHome()).load(config, true, dir.resolve("crisp.toml.d"), flags);
            ConfigPrinter.print(loaded, Map.of(), Map.of());
            try (Daemon daemon = Daemon.start(() -> loaded); CriClient cri = CriClient.connect(socket, Duration.ofSeconds(10))) {
                for (int i = 0; i < 50; i++) {
                    cri.runtime().version(VersionRequest.getDefaultInstance());
                    cri.runtime().status(StatusRequest.newBuilder().setVerbose(i % 2 == 0).build());
                    cri.runtime().runtimeConfig(RuntimeConfigRequest.getDefaultInstance());
                    cri.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance());
                    try {
                        cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(PodSandboxConfig.newBuilder()
                                .setMetadata(PodSandboxMetadata.newBuilder().setName("w").setNamespace("w").setUid("w"))).build());
                    } catch (StatusRuntimeException expected) {
                        // UNIMPLEMENTED today; the error path is what gets archived
                    }
                }
                cri.images().listImages(io.crisp.cri.v1.ListImagesRequest.getDefaultInstance());
                cri.images().imageStatus(io.crisp.cri.v1.ImageStatusRequest.newBuilder()
                        .setImage(io.crisp.cri.v1.ImageSpec.newBuilder().setImage("docker.io/library/busybox:latest")).build());
                cri.images().imageFsInfo(io.crisp.cri.v1.ImageFsInfoRequest.getDefaultInstance());
                try {
                    // Nothing listens on port 1: the pull path up to the first request gets archived.
                    cri.images().pullImage(io.crisp.cri.v1.PullImageRequest.newBuilder()
                            .setImage(io.crisp.cri.v1.ImageSpec.newBuilder().setImage("127.0.0.1:1/warmup/none:1")).build());
                } catch (StatusRuntimeException expected) {
                    // UNAVAILABLE: connection refused
                }
                daemon.reload();
            }
            return 0;
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
