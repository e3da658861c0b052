package io.crisp.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps the seams where the design puts them: only the RPC layer (server, convert) and the
 * launcher (cli) see protobuf and gRPC types; core services and the plugin contract never do. The
 * client module (CLI commands, streaming client, benchmarks) never sees the daemon, and of the
 * daemon only the launcher sees the client.
 */
final class ArchitectureTest {
    private static final Path CORE = Path.of("src/main/java/io/crisp/core");
    private static final Path SPI = Path.of("../plugins/api/src/main/java");
    private static final Path CLIENT = Path.of("../client/src/main/java");
    private static final Set<String> MAY_SEE_WIRE = Set.of("server", "convert", "cli");

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
                .filter(f -> !f.getFileName().toString().equals("DiskFull.java")) // the mapper's: which kinds may quote a caller
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
    void theClientNeverUsesTheDaemon() throws IOException {
        List<String> offenders = javaFiles(CLIENT)
                .filter(f -> imports(f, "import io.crisp.core.", "import static io.crisp.core.", "import io.crisp.plugin."))
                .map(Path::toString).toList();
        assertEquals(List.of(), offenders, "the client talks to the daemon over CRI and the stream protocols only");
        assertTrue(javaFiles(CLIENT).anyMatch(f -> f.toString().endsWith("PodsCommand.java")), "the client module moved");
    }

    @Test
    void onlyTheLauncherUsesTheClient() throws IOException {
        List<String> offenders = javaFiles(CORE)
                .filter(f -> !CORE.relativize(f).getName(0).toString().equals("cli"))
                .filter(f -> imports(f, "import io.crisp.client.", "import static io.crisp.client."))
                .map(Path::toString).toList();
        assertEquals(List.of(), offenders, "daemon packages must not depend on the client; only the launcher (cli) bundles it");
    }

    /** Plugin JARs are on the compile class path only to be laid out beside the daemon (pom.xml). */
    @Test
    void theDaemonNeverUsesPluginClasses() throws IOException {
        List<String> offenders = javaFiles(CORE)
                .filter(f -> imports(f, "import io.crisp.plugin.", "import static io.crisp.plugin."))
                .map(Path::toString).toList();
        assertEquals(List.of(), offenders, "the daemon reaches plugins through pf4j and io.crisp.spi only");
    }

    /** OpenPGP (Bouncy Castle) is the signature policy's business: the rest of the daemon verifies nothing with it. */
    @Test
    void onlyTheSignaturePolicyUsesBouncyCastle() throws IOException {
        List<String> offenders = javaFiles(CORE)
                .filter(f -> !CORE.relativize(f).startsWith(Path.of("image/policy")))
                .filter(f -> imports(f, "import org.bouncycastle.", "import static org.bouncycastle."))
                .map(Path::toString).toList();
        assertEquals(List.of(), offenders, "signature verification lives in io.crisp.core.image.policy");
        assertTrue(javaFiles(CORE.resolve("image/policy")).anyMatch(f -> imports(f, "import org.bouncycastle.")), "the policy package moved");
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

    /**
     * The packages under io.crisp.core depend on each other without cycles (each subpackage is a
     * package of its own: image.ref is not image). Read from the import lines, so a reference within a
     * package needs none; a cycle is reported as its packages.
     */
    @Test
    void mainPackagesHaveNoCycles() throws IOException {
        assertEquals(List.of(), cycles(packageGraph(CORE)), "packages of shim-core that depend on each other in a cycle");
    }

    @Test
    void theCycleCheckSeesPlainStaticAndWildcardImports(@TempDir Path root) throws IOException {
        write(root, "a/A.java", "package io.crisp.core.a;\nimport io.crisp.core.b.ref.B;\n");
        write(root, "b/ref/B.java", "package io.crisp.core.b.ref;\nimport static io.crisp.core.c.C.helper;\n");
        write(root, "c/C.java", "package io.crisp.core.c;\nimport io.crisp.core.a.*;\nimport java.util.List;\n");
        write(root, "b/Leaf.java", "package io.crisp.core.b;\nimport io.crisp.core.c.C.Nested;\n");
        write(root, "d/D.java", "package io.crisp.core.d;\nimport io.crisp.core.d.other.X;\n");
        write(root, "d/other/X.java", "package io.crisp.core.d.other;\nimport static io.crisp.core.b.*;\n");
        write(root, "e/E.java", "package io.crisp.core.e;\nimport io.crisp.core.f.F;\n");
        write(root, "f/F.java", "package io.crisp.core.f;\nimport static io.crisp.core.e.E.*;\nimport io.crisp.core.Root;\n");
        write(root, "Root.java", "package io.crisp.core;\nimport io.crisp.core.f.F;\n");
        assertEquals(List.of("(io.crisp.core), e, f", "a, b.ref, c"), cycles(packageGraph(root)));
        write(root, "c/More.java", "package io.crisp.core.c;\nimport io.crisp.core.b.Leaf;\nimport io.crisp.core.d.D;\n");
        assertEquals(List.of("(io.crisp.core), e, f", "a, b, b.ref, c, d, d.other"), cycles(packageGraph(root)));
    }

    private static void write(Path root, String file, String text) throws IOException {
        Files.createDirectories(root.resolve(file).getParent());
        Files.writeString(root.resolve(file), text);
    }

    private static final Pattern CORE_IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?io\\.crisp\\.core\\.([\\w.*]+)\\s*;");

    /** Package (relative to io.crisp.core, "" for io.crisp.core itself) to the packages its files import from. */
    private static Map<String, Set<String>> packageGraph(Path root) throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        for (Path file : javaFiles(root).toList()) {
            Path dir = root.relativize(file).getParent();
            String from = dir == null ? "" : dir.toString().replace(root.getFileSystem().getSeparator(), ".");
            Set<String> targets = graph.computeIfAbsent(from, p -> new TreeSet<>());
            for (String line : Files.readAllLines(file)) {
                Matcher m = CORE_IMPORT.matcher(line.strip());
                if (m.find()) {
                    List<String> pkg = new ArrayList<>();
                    for (String segment : m.group(1).split("\\.")) {
                        if (segment.equals("*") || Character.isUpperCase(segment.charAt(0))) {
                            break;
                        }
                        pkg.add(segment);
                    }
                    String to = String.join(".", pkg);
                    if (!to.equals(from)) {
                        targets.add(to);
                    }
                }
            }
        }
        return graph;
    }

    /** The strongly connected groups of more than one package (Tarjan), each as "a, b, c", sorted. */
    private static List<String> cycles(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        TreeSet<String> found = new TreeSet<>();
        for (String p : graph.keySet()) {
            if (!index.containsKey(p)) {
                connect(p, graph, index, low, stack, onStack, found);
            }
        }
        return List.copyOf(found);
    }

    private static void connect(String p, Map<String, Set<String>> graph, Map<String, Integer> index, Map<String, Integer> low,
            Deque<String> stack, Set<String> onStack, Set<String> found) {
        index.put(p, index.size());
        low.put(p, index.get(p));
        stack.push(p);
        onStack.add(p);
        for (String q : graph.getOrDefault(p, Set.of())) {
            if (!index.containsKey(q)) {
                connect(q, graph, index, low, stack, onStack, found);
                low.put(p, Math.min(low.get(p), low.get(q)));
            } else if (onStack.contains(q)) {
                low.put(p, Math.min(low.get(p), index.get(q)));
            }
        }
        if (low.get(p).equals(index.get(p))) {
            TreeSet<String> group = new TreeSet<>();
            String q;
            do {
                q = stack.pop();
                onStack.remove(q);
                group.add(q.isEmpty() ? "(io.crisp.core)" : q);
            } while (!q.equals(p));
            if (group.size() > 1) {
                found.add(String.join(", ", group));
            }
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
