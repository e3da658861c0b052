package io.crisp.core.network.cni;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks the network: the first valid configuration in the conf dir in lexical file name order,
 * {@code .conflist} as lists, {@code .conf} and {@code .json} as single plugins. Every file skipped
 * is logged at warn with the reason.
 */
final class CniConfigLoader {
    private static final Logger LOG = LoggerFactory.getLogger(CniConfigLoader.class);

    private CniConfigLoader() {}

    static Optional<CniConfig> load(Path confDir) {
        List<Path> files;
        if (!Files.isDirectory(confDir)) {
            return Optional.empty();
        }
        try (Stream<Path> entries = Files.list(confDir)) {
            files = entries.filter(CniConfigLoader::isConfigName).sorted().toList();
        } catch (IOException e) {
            LOG.warn("cannot list CNI conf dir {}: {}", confDir, e.toString());
            return Optional.empty();
        }
        for (Path file : files) {
            if (!Files.isRegularFile(file)) {
                continue;
            }
            try {
                byte[] content = Files.readAllBytes(file);
                CniConfig config = file.getFileName().toString().endsWith(".conflist")
                        ? CniConfig.parseList(content) : CniConfig.parseSingle(content);
                LOG.debug("CNI network \"{}\" (cniVersion {}) from {}", config.name(), config.cniVersion(), file);
                return Optional.of(config);
            } catch (IllegalArgumentException e) {
                LOG.warn("skipping CNI config {}: {}", file, e.getMessage());
            } catch (IOException e) {
                LOG.warn("skipping CNI config {}: cannot read it: {}", file, e.toString());
            }
        }
        return Optional.empty();
    }

    static boolean isConfigName(Path file) {
        String name = file.getFileName().toString();
        return !name.startsWith(".") && (name.endsWith(".conflist") || name.endsWith(".conf") || name.endsWith(".json"));
    }
}
