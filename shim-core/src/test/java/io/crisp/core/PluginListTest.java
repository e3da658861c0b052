package io.crisp.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Adding a backend is a folder under {@code plugins/}, its {@code <module>} line, one entry in the
 * distribution's plugin list ({@code shim-core/pom.xml}) and a contract-test subclass. Maven needs
 * the module line and the shipping list in two POMs; this test keeps them one list in effect: a
 * plugin folder missing from either, or without a contract test, fails the build by name.
 */
class PluginListTest {
    private static final Path PLUGINS = Path.of("../plugins");
    /**
     * Folders under plugins/ that are not shipped backends: the SPI, the kit, the example and the
     * faulty plugin for tests. Being here keeps them out of the plugin list: the assertion that the
     * list ships exactly the backend folders fails if one of them is added to it.
     */
    private static final Set<String> NOT_BACKENDS = Set.of("api", "kit", "example", "faulty");

    @Test
    void everyBackendFolderIsBuiltShippedAndRunsTheContractSuite() throws IOException {
        Set<String> folders = backendFolders();
        assertFalse(folders.isEmpty(), "no backend folders under " + PLUGINS.toAbsolutePath());

        Set<String> modules = matches(Files.readString(PLUGINS.resolve("pom.xml")), "<module>([^<]+)</module>");
        Set<String> shipped = matches(Files.readString(Path.of("pom.xml")),
                "<artifactId>crisp-plugin-([^<]+)</artifactId><version>\\$\\{project.version}</version><scope>provided</scope>");

        for (String folder : folders) {
            assertTrue(modules.contains(folder), "plugins/" + folder + " is not a <module> in plugins/pom.xml");
            String artifact = artifactId(folder);
            assertTrue(shipped.contains(artifact.substring("crisp-plugin-".length())),
                    "plugins/" + folder + " (" + artifact + ") is not in the plugin list in shim-core/pom.xml");
            assertTrue(hasContractTest(folder), "plugins/" + folder
                    + " has no test class extending io.crisp.spi.testing.BaseBackendContractTest");
        }
        Set<String> shippedFolders = new TreeSet<>();
        for (String folder : folders) {
            shippedFolders.add(artifactId(folder).substring("crisp-plugin-".length()));
        }
        assertEquals(shippedFolders, shipped, "the plugin list ships exactly the backend folders");
    }

    private static Set<String> backendFolders() throws IOException {
        Set<String> folders = new TreeSet<>();
        try (Stream<Path> children = Files.list(PLUGINS)) {
            for (Path dir : children.filter(p -> Files.isRegularFile(p.resolve("pom.xml"))).toList()) {
                String name = dir.getFileName().toString();
                if (!NOT_BACKENDS.contains(name)) {
                    folders.add(name);
                }
            }
        }
        return folders;
    }

    private static String artifactId(String folder) throws IOException {
        String pom = Files.readString(PLUGINS.resolve(folder).resolve("pom.xml"));
        // The project's own artifactId follows the <parent> block.
        String afterParent = pom.substring(pom.indexOf("</parent>"));
        Matcher m = Pattern.compile("<artifactId>([^<]+)</artifactId>").matcher(afterParent);
        assertTrue(m.find(), "plugins/" + folder + "/pom.xml has no artifactId");
        return m.group(1);
    }

    private static boolean hasContractTest(String folder) throws IOException {
        Path tests = PLUGINS.resolve(folder).resolve("src/test/java");
        if (!Files.isDirectory(tests)) {
            return false;
        }
        try (Stream<Path> files = Files.walk(tests)) {
            List<Path> java = files.filter(p -> p.toString().endsWith(".java")).toList();
            for (Path file : java) {
                if (Files.readString(file).contains("extends BaseBackendContractTest")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static Set<String> matches(String text, String regex) {
        Set<String> found = new TreeSet<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            found.add(m.group(1).trim());
        }
        return found;
    }
}
