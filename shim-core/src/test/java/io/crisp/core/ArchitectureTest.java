package io.crisp.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the seams where the design puts them: only the RPC layer (server, convert) and the CLI,
 * which is a CRI client, see protobuf and gRPC types; core services and the plugin contract never do.
 */
final class ArchitectureTest {
    private static final Path CORE = Path.of("src/main/java/io/crisp/core");
    private static final Path SPI = Path.of("../plugins/api/src/main/java");
    private static final Set<String> MAY_SEE_WIRE = Set.of("server", "convert", "cli", "bench");

    @Test
    void onlyTheRpcLayerAndTheCliImportCriOrGrpcTypes() throws IOException {
        List<String> offenders = javaFiles(CORE)
                .filter(f -> !MAY_SEE_WIRE.contains(CORE.relativize(f).getName(0).toString()))
                .filter(f -> imports(f, "import io.crisp.cri.", "import io.grpc.", "import com.google.protobuf."))
                .map(Path::toString).toList();
        assertEquals(List.of(), offenders, "core services must not depend on the wire protocol");
    }

    @Test
    void theRpcLayerReachesBackendsOnlyThroughCoreServices() throws IOException {
        List<String> offenders = javaFiles(CORE.resolve("server"))
                .filter(f -> !f.getFileName().toString().equals("GrpcStatusMapper.java")) // maps BackendException kinds
                .filter(f -> imports(f, "import io.crisp.spi.", "import io.crisp.core.plugin."))
                .map(Path::toString).toList();
        assertEquals(List.of(), offenders, "server classes must not use plugins, handlers or backends directly");
    }

    /** Each RuntimeService concern is convert, one core call, convert: no checks, no error handling of its own. */
    @Test
    void rpcClassesStayThin() throws IOException {
        List<Path> rpcs = javaFiles(CORE.resolve("server")).filter(f -> f.getFileName().toString().endsWith("Rpcs.java")).toList();
        assertTrue(rpcs.size() >= 5, rpcs.toString());
        for (Path f : rpcs) {
            List<String> lines = Files.readAllLines(f);
            assertTrue(lines.size() <= 150, f + " has " + lines.size() + " lines");
            for (String line : lines) {
                String code = line.strip();
                assertTrue(!code.startsWith("throw ") && !code.contains("catch (") && !code.startsWith("try {"),
                        f + ": request checks belong in convert, errors in Rpc.unary and GrpcStatusMapper: " + code);
            }
        }
    }

    @Test
    void thePluginContractUsesJdkTypesOnly() throws IOException {
        List<String> offenders = javaFiles(SPI)
                .filter(f -> imports(f, "import io.crisp.cri.", "import io.grpc.", "import com.google.", "import com.fasterxml.",
                        "import io.netty.", "import io.crisp.core."))
                .map(Path::toString).toList();
        assertEquals(List.of(), offenders, "plugins/api may use the JDK, pf4j and slf4j only");
    }

    @Test
    void readmeDocumentsEveryConfigurationKeyAndFlag() throws IOException {
        String readme = Files.readString(Path.of("../README.md"));
        for (io.crisp.core.config.ConfigKey key : io.crisp.core.config.ConfigKey.values()) {
            assertTrue(readme.contains("`" + key.key() + "`"), "README.md lacks key " + key.key());
            assertTrue(readme.contains("`" + key.flag() + "`"), "README.md lacks flag " + key.flag());
        }
    }

    private static Stream<Path> javaFiles(Path root) throws IOException {
        assertTrue(Files.isDirectory(root), root.toAbsolutePath() + " is missing");
        return Files.walk(root).filter(p -> p.toString().endsWith(".java")).toList().stream();
    }

    private static boolean imports(Path file, String... prefixes) {
        try {
            return Files.readAllLines(file).stream().anyMatch(line -> Stream.of(prefixes).anyMatch(line::startsWith));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
