package io.crisp.core.cli;

import io.crisp.core.config.ConfigKey;
import io.crisp.core.config.ConfigLoader;
import io.crisp.core.config.ConfigPrinter;
import io.crisp.core.config.CrispConfig;
import io.crisp.core.daemon.Daemon;
import io.crisp.core.daemon.LogLevels;
import io.crisp.core.server.ServerPreload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * A second daemon then starts over the first one's directories, as a restart after a crash does.
 * The calls come from another JVM ({@link WarmupClient}): made from this one, the archive held
 * gRPC's client side too, which a daemon never loads and which took its share of every daemon's
 * memory (the JVM maps and touches the whole archive).
 */
@Command(name = "cds-warmup", hidden = true, description = "Exercise the daemon once so the launcher can archive its classes.")
final class WarmupCommand implements Callable<Integer> {
    @Override
    public Integer call() throws IOException {
        LogLevels.apply("error");
        ServerPreload.begin();
        Path dir = Files.createTempDirectory("crisp-warmup");
        try {
            Path socket = dir.resolve("crisp.sock");
            Map<ConfigKey, String> flags = new EnumMap<>(ConfigKey.class);
            flags.put(ConfigKey.LISTEN, "unix://" + socket);
            flags.put(ConfigKey.ROOT, dir.resolve("root").toString());
            flags.put(ConfigKey.STATE, dir.resolve("state").toString());
            // The warm-up's pulls (its own and the pod's pause image) go to a registry marked insecure,
            // i.e. plain HTTP: the JDK's TLS stack (some 450 classes, 4 MB of the archive) is left to
            // load on a daemon's first TLS pull; an idle daemon, or one pulling over HTTP, never maps it.
            Path registries = dir.resolve("registries.conf");
            Files.writeString(registries, "[[registry]]\nlocation = \"" + WarmupClient.REGISTRY + "\"\ninsecure = true\n");
            flags.put(ConfigKey.REGISTRIES_CONF, registries.toString());
            flags.put(ConfigKey.PAUSE_IMAGE, WarmupClient.REGISTRY + "/warmup/pause:1");
            Path config = dir.resolve("crisp.toml");
            Files.writeString(config, "log_level = \"error\"\n[runtimes.runc]\nplugin = \"runc\"\n");
            CrispConfig loaded = new ConfigLoader(ConfigFlags.crispHome()).load(config, true, dir.resolve("crisp.toml.d"), flags);
            ConfigPrinter.print(loaded, Map.of(), Map.of());
            try (Daemon daemon = Daemon.start(() -> loaded)) {
                WarmupClient.runAgainst(socket, WarmupImage.write(dir.resolve("image")));
                daemon.reload();
            }
            // A restart over what the first run left, as after a crash: it reads the image record back.
            Daemon.start(() -> loaded).close();
            return 0;
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
