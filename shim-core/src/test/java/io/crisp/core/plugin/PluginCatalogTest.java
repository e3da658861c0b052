package io.crisp.core.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.plugin.example.ExamplePlugin;
import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.HandlerConfig;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimePlugin;
import io.crisp.spi.SpiVersion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class PluginCatalogTest {
    @TempDir
    Path dir;

    private final PluginCatalog catalog = new PluginCatalog();

    @AfterEach
    void closeCatalog() {
        catalog.close();
    }

    private Path plugins() throws Exception {
        return Files.createDirectories(dir.resolve("plugins"));
    }

    private static String describe(List<PluginProblem> problems) {
        return problems.toString();
    }

    @Test
    void scanLoadsTheExampleJar() throws Exception {
        Path jar = PluginJar.example().version("0.1.0").writeTo(plugins().resolve("crisp-plugin-example.jar"));
        Files.writeString(plugins().resolve("README.txt"), "not a jar: ignored");

        List<PluginProblem> problems = catalog.scan(plugins());

        assertEquals(List.of(), problems, () -> describe(problems));
        assertEquals(List.of(), catalog.problems());
        assertEquals(List.of("example"), List.copyOf(catalog.plugins().keySet()));
        LoadedPlugin plugin = catalog.find("example").orElseThrow();
        assertEquals("example", plugin.id());
        assertEquals("0.1.0", plugin.version());
        assertEquals(PluginJar.EXAMPLE_REQUIRES, plugin.requires());
        assertEquals("example plugin built by a test", plugin.description());
        assertEquals(jar.toAbsolutePath().normalize(), plugin.jar());
        assertNotNull(plugin.extension());
        assertEquals(ExamplePlugin.class.getName(), plugin.extension().getClass().getName());
        assertTrue(catalog.find("runc").isEmpty());
    }

    @Test
    void loadedExtensionCreatesWorkingBackends() throws Exception {
        PluginJar.example().writeTo(plugins().resolve("example.jar"));
        catalog.scan(plugins());
        RuntimePlugin extension = catalog.find("example").orElseThrow().extension();

        HandlerConfig config = new HandlerConfig("demo", "example", Map.of("description", "from a jar"),
                dir.resolve("root"), dir.resolve("state"));
        try (RuntimeBackend backend = extension.create(config, new DaemonRuntimeContext("demo", ContainerEventSink.discarding()))) {
            assertEquals(Map.of("description", "from a jar", "handler", "demo"), backend.describe());
            assertEquals(extension.getClass().getClassLoader(), backend.getClass().getClassLoader());
        }
    }

    @Test
    void scanningAgainDoesNotLoadTheSameJarTwice() throws Exception {
        PluginJar.example().writeTo(plugins().resolve("example.jar"));
        catalog.scan(plugins());
        LoadedPlugin first = catalog.find("example").orElseThrow();

        List<PluginProblem> problems = catalog.scan(plugins());

        assertEquals(List.of(), problems, () -> describe(problems));
        assertEquals(1, catalog.plugins().size());
        assertSame(first, catalog.find("example").orElseThrow());
        assertSame(first.extension(), catalog.find("example").orElseThrow().extension());
    }

    @Test
    void aLaterScanAddsNewJarsAndKeepsLoadedOnes() throws Exception {
        PluginJar.example().writeTo(plugins().resolve("a.jar"));
        catalog.scan(plugins());
        LoadedPlugin first = catalog.find("example").orElseThrow();

        PluginJar.example().id("example-two").writeTo(plugins().resolve("b.jar"));
        List<PluginProblem> problems = catalog.scan(plugins());

        assertEquals(List.of(), problems, () -> describe(problems));
        assertEquals(List.of("example", "example-two"), List.copyOf(catalog.plugins().keySet()));
        assertSame(first, catalog.find("example").orElseThrow());
        LoadedPlugin second = catalog.find("example-two").orElseThrow();
        // Two plugins, two class loaders, even for the same class names.
        assertNotSame(first.extension().getClass(), second.extension().getClass());
        assertNotEquals(first.extension().getClass().getClassLoader(), second.extension().getClass().getClassLoader());
    }

    @Test
    void aSecondJarWithTheSameIdIsAProblemAndTheFirstStays() throws Exception {
        Path a = PluginJar.example().version("0.1.0").writeTo(plugins().resolve("a-example.jar"));
        Path b = PluginJar.example().version("0.2.0").writeTo(plugins().resolve("b-example.jar"));

        List<PluginProblem> problems = catalog.scan(plugins());

        assertEquals(1, problems.size(), () -> describe(problems));
        PluginProblem problem = problems.get(0);
        assertEquals(b.toAbsolutePath().normalize(), problem.jar());
        assertTrue(problem.message().contains("example"), problem.message());
        LoadedPlugin loaded = catalog.find("example").orElseThrow();
        assertEquals(a.toAbsolutePath().normalize(), loaded.jar());
        assertEquals("0.1.0", loaded.version());
        assertEquals(problems, catalog.problems());

        // The problem is reported again by the next scan, and the first JAR still serves.
        List<PluginProblem> again = catalog.scan(plugins());
        assertEquals(List.of(b.toAbsolutePath().normalize()), again.stream().map(PluginProblem::jar).toList());
        assertSame(loaded, catalog.find("example").orElseThrow());
    }

    @Test
    void aJarBundlingSpiClassesIsRefused() throws Exception {
        Path jar = PluginJar.example().withClass(RuntimePlugin.class).writeTo(plugins().resolve("fat.jar"));

        List<PluginProblem> problems = catalog.scan(plugins());

        assertEquals(1, problems.size(), () -> describe(problems));
        String message = problems.get(0).message();
        assertEquals(jar.toAbsolutePath().normalize(), problems.get(0).jar());
        assertTrue(message.contains(jar.toAbsolutePath().normalize().toString()), message);
        assertTrue(message.contains("io/crisp/spi/RuntimePlugin.class"), message);
        assertTrue(message.contains("provided"), message);
        assertTrue(catalog.plugins().isEmpty());
    }

    @Test
    void aJarBundlingPf4jOrSlf4jClassesIsRefused() throws Exception {
        PluginJar.example().withEntry("org/pf4j/Extension.class", new byte[] {(byte) 0xCA, (byte) 0xFE})
                .writeTo(plugins().resolve("pf4j.jar"));
        PluginJar.example().id("other").withEntry("org/slf4j/Logger.class", new byte[] {(byte) 0xCA, (byte) 0xFE})
                .writeTo(plugins().resolve("slf4j.jar"));

        List<PluginProblem> problems = catalog.scan(plugins());

        assertEquals(2, problems.size(), () -> describe(problems));
        assertTrue(problems.get(0).message().contains("org/pf4j/Extension.class"), problems.get(0).message());
        assertTrue(problems.get(1).message().contains("org/slf4j/Logger.class"), problems.get(1).message());
        assertTrue(catalog.plugins().isEmpty());
    }

    @Test
    void aRefusedJarLeavesItsIdFreeForACorrectJar() throws Exception {
        Path fat = PluginJar.example().withClass(RuntimePlugin.class).writeTo(plugins().resolve("fat.jar"));
        assertEquals(1, catalog.scan(plugins()).size());

        Files.delete(fat);
        PluginJar.example().writeTo(plugins().resolve("good.jar"));
        List<PluginProblem> problems = catalog.scan(plugins());

        assertEquals(List.of(), problems, () -> describe(problems));
        assertTrue(catalog.find("example").isPresent());
    }

    @Test
    void aJarRequiringAnotherSpiIsRefused() throws Exception {
        Path jar = PluginJar.example().requires(">=9.0.0").writeTo(plugins().resolve("future.jar"));

        List<PluginProblem> problems = catalog.scan(plugins());

        assertEquals(1, problems.size(), () -> describe(problems));
        assertEquals(jar.toAbsolutePath().normalize(), problems.get(0).jar());
        String message = problems.get(0).message();
        assertTrue(message.contains(">=9.0.0"), message);
        assertTrue(message.contains(SpiVersion.CURRENT), message);
        assertTrue(message.contains("'example'"), message);
        assertTrue(catalog.plugins().isEmpty());

        // The refused plugin was unloaded: a compatible JAR with the same id loads afterwards.
        Files.delete(jar);
        PluginJar.example().writeTo(plugins().resolve("current.jar"));
        assertEquals(List.of(), catalog.scan(plugins()));
        assertTrue(catalog.find("example").isPresent());
    }

    @Test
    void aJarWithoutRequiresIsLoaded() throws Exception {
        PluginJar.example().requires(null).writeTo(plugins().resolve("any.jar"));

        List<PluginProblem> problems = catalog.scan(plugins());

        assertEquals(List.of(), problems, () -> describe(problems));
        assertNotNull(catalog.find("example").orElseThrow().requires());
    }

    @Test
    void aJarWithoutAnExtensionIsRefused() throws Exception {
        Path jar = PluginJar.example().without(PluginJar.EXTENSIONS_IDX).writeTo(plugins().resolve("noext.jar"));

        List<PluginProblem> problems = catalog.scan(plugins());

        assertEquals(1, problems.size(), () -> describe(problems));
        assertEquals(jar.toAbsolutePath().normalize(), problems.get(0).jar());
        String message = problems.get(0).message();
        assertTrue(message.contains("exactly one @Extension"), message);
        assertTrue(message.contains(RuntimePlugin.class.getName()), message);
        assertTrue(message.contains("found 0"), message);
        assertTrue(catalog.plugins().isEmpty());

        Files.delete(jar);
        PluginJar.example().writeTo(plugins().resolve("fixed.jar"));
        assertEquals(List.of(), catalog.scan(plugins()));
        assertTrue(catalog.find("example").isPresent());
    }

    @Test
    void aMissingPluginsDirectoryIsAProblem() {
        Path missing = dir.resolve("no-such-dir");

        List<PluginProblem> problems = catalog.scan(missing);

        assertEquals(1, problems.size(), () -> describe(problems));
        assertEquals(missing, problems.get(0).jar());
        assertTrue(problems.get(0).message().contains(missing.toString()), problems.get(0).message());
        assertTrue(problems.get(0).message().contains("does not exist"), problems.get(0).message());
        assertTrue(catalog.plugins().isEmpty());
    }

    @Test
    void aGarbageFileNamedJarIsAProblemNotAnException() throws Exception {
        Path garbage = Files.write(plugins().resolve("x.jar"), "this is not a zip file".getBytes(StandardCharsets.UTF_8));
        Files.write(plugins().resolve("empty.jar"), new byte[0]);
        PluginJar.example().writeTo(plugins().resolve("y.jar"));

        List<PluginProblem> problems = catalog.scan(plugins());

        assertEquals(List.of(plugins().resolve("empty.jar").toAbsolutePath().normalize(), garbage.toAbsolutePath().normalize()),
                problems.stream().map(PluginProblem::jar).toList(), () -> describe(problems));
        problems.forEach(p -> assertFalse(p.message().isBlank(), p.toString()));
        assertTrue(catalog.find("example").isPresent(), "a bad JAR must not keep good ones from loading");
    }

    @Test
    void aJarWithoutPluginManifestIsAProblem() throws Exception {
        Path jar = plugins().resolve("plain.jar");
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new java.util.jar.JarEntry("hello.txt"));
            out.write("hi".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }

        List<PluginProblem> problems = catalog.scan(plugins());

        assertEquals(List.of(jar.toAbsolutePath().normalize()), problems.stream().map(PluginProblem::jar).toList(), () -> describe(problems));
        assertTrue(catalog.plugins().isEmpty());
    }

    @Test
    void pluginClassesAreIsolatedFromTheHost() throws Exception {
        PluginJar.example().writeTo(plugins().resolve("example.jar"));
        assertEquals(List.of(), catalog.scan(plugins()));
        RuntimePlugin extension = catalog.find("example").orElseThrow().extension();
        ClassLoader pluginLoader = extension.getClass().getClassLoader();

        // The example classes are on the test class path too, but the plugin gets its own copy.
        assertNotSame(ExamplePlugin.class.getClassLoader(), pluginLoader);
        assertNotSame(ExamplePlugin.class, extension.getClass());
        assertFalse(extension instanceof ExamplePlugin);
        assertSame(extension.getClass(), pluginLoader.loadClass(ExamplePlugin.class.getName()));

        // Host libraries are invisible to plugins ...
        for (String hostClass : List.of("io.grpc.Status",
                "io.crisp.core.plugin.PluginCatalog", "io.netty.channel.Channel", "com.google.protobuf.Message")) {
            assertThrows(ClassNotFoundException.class, () -> pluginLoader.loadClass(hostClass), hostClass);
        }
        assertEquals(null, pluginLoader.getResource("io/grpc/Status.class"));

        // ... while the shared API packages and the JDK are the host's own classes.
        assertSame(RuntimePlugin.class, pluginLoader.loadClass("io.crisp.spi.RuntimePlugin"));
        assertSame(RuntimeBackend.class, pluginLoader.loadClass("io.crisp.spi.RuntimeBackend"));
        assertSame(org.pf4j.ExtensionPoint.class, pluginLoader.loadClass("org.pf4j.ExtensionPoint"));
        assertSame(org.slf4j.Logger.class, pluginLoader.loadClass("org.slf4j.Logger"));
        assertSame(com.fasterxml.jackson.databind.ObjectMapper.class,
                pluginLoader.loadClass("com.fasterxml.jackson.databind.ObjectMapper"));
        assertSame(String.class, pluginLoader.loadClass("java.lang.String"));
        assertSame(java.sql.Connection.class, pluginLoader.loadClass("java.sql.Connection"));
        assertInstanceOf(RuntimePlugin.class, extension);
    }

    @Test
    void closeUnloadsEverything() throws Exception {
        PluginJar.example().writeTo(plugins().resolve("example.jar"));
        catalog.scan(plugins());
        assertEquals(1, catalog.plugins().size());

        catalog.close();

        assertTrue(catalog.plugins().isEmpty());
        assertTrue(catalog.find("example").isEmpty());
    }

    @Test
    void pluginsIsASortedSnapshot() throws Exception {
        PluginJar.example().id("zeta").writeTo(plugins().resolve("1.jar"));
        PluginJar.example().id("alpha").writeTo(plugins().resolve("2.jar"));
        catalog.scan(plugins());

        Map<String, LoadedPlugin> snapshot = catalog.plugins();
        assertEquals(List.of("alpha", "zeta"), List.copyOf(snapshot.keySet()));
        snapshot.clear();
        assertEquals(2, catalog.plugins().size());
    }
}
