package io.crisp.core.plugin;

import io.crisp.plugin.example.ExamplePlugin;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * Writes a real pf4j plugin JAR for tests (public for tests in other packages): a manifest with {@code Plugin-Id}, {@code Plugin-Version}
 * and (optionally) {@code Plugin-Requires}, the classes of a plugin copied from where the test class
 * path has them (a {@code target/classes} directory or an installed JAR), and any extra entries.
 *
 * <pre>{@code
 * Path jar = PluginJar.example().writeTo(dir.resolve("example.jar"));
 * Path bad = PluginJar.example().withClass(RuntimePlugin.class).writeTo(dir.resolve("bad.jar"));
 * }</pre>
 */
public final class PluginJar {
    static final String EXTENSIONS_IDX = "META-INF/extensions.idx";
    /** The range the real plugin build writes: {@code >=${crisp.spi.version} & <2.0.0}. */
    static final String EXAMPLE_REQUIRES = ">=1.0.0 & <2.0.0";

    private String id;
    private String version = "0.1.0";
    private String requires;
    private String description;
    private final Map<String, byte[]> entries = new LinkedHashMap<>();

    private PluginJar(String id) {
        this.id = id;
    }

    /** An empty plugin JAR: a manifest and nothing else. */
    static PluginJar named(String id) {
        return new PluginJar(id);
    }

    /** The example plugin as its build packages it. */
    public static PluginJar example() {
        return named("example").requires(EXAMPLE_REQUIRES).description("example plugin built by a test")
                .withClassesOf(ExamplePlugin.class);
    }

    PluginJar id(String value) {
        this.id = value;
        return this;
    }

    PluginJar version(String value) {
        this.version = value;
        return this;
    }

    /** {@code null} leaves {@code Plugin-Requires} out of the manifest. */
    PluginJar requires(String value) {
        this.requires = value;
        return this;
    }

    PluginJar description(String value) {
        this.description = value;
        return this;
    }

    /**
     * Copies every entry under the package of {@code pluginClass} (sub-packages included) and
     * {@code META-INF/extensions.idx} from the directory or JAR that {@code pluginClass} was loaded from.
     */
    PluginJar withClassesOf(Class<?> pluginClass) {
        String prefix = pluginClass.getPackageName().replace('.', '/') + "/";
        Path location = codeSource(pluginClass);
        if (Files.isDirectory(location)) {
            try (Stream<Path> files = Files.walk(location)) {
                for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                    String name = location.relativize(file).toString().replace(java.io.File.separatorChar, '/');
                    if (name.startsWith(prefix) || name.equals(EXTENSIONS_IDX)) {
                        entries.put(name, Files.readAllBytes(file));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        } else {
            try (JarFile jar = new JarFile(location.toFile())) {
                for (Enumeration<JarEntry> it = jar.entries(); it.hasMoreElements(); ) {
                    JarEntry entry = it.nextElement();
                    String name = entry.getName();
                    if (!entry.isDirectory() && (name.startsWith(prefix) || name.equals(EXTENSIONS_IDX))) {
                        try (InputStream in = jar.getInputStream(entry)) {
                            entries.put(name, in.readAllBytes());
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (!entries.containsKey(prefix + pluginClass.getSimpleName() + ".class")) {
            throw new IllegalStateException("no class files of " + pluginClass.getName() + " found in " + location);
        }
        return this;
    }

    /** Adds the class file of {@code type}, as found on the test class path, under its own name. */
    PluginJar withClass(Class<?> type) {
        String name = type.getName().replace('.', '/') + ".class";
        try (InputStream in = type.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("class file " + name + " not found");
            }
            entries.put(name, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    PluginJar withEntry(String name, byte[] content) {
        entries.put(name, content.clone());
        return this;
    }

    PluginJar without(String name) {
        if (entries.remove(name) == null) {
            throw new IllegalStateException("no entry " + name + " to remove; entries: " + entries.keySet());
        }
        return this;
    }

    /** Writes the JAR and returns {@code file}. */
    public Path writeTo(Path file) {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Plugin-Id", id);
        main.putValue("Plugin-Version", version);
        if (requires != null) {
            main.putValue("Plugin-Requires", requires);
        }
        if (description != null) {
            main.putValue("Plugin-Description", description);
        }
        main.putValue("Plugin-Provider", "crisp tests");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (OutputStream out = Files.newOutputStream(file); JarOutputStream jar = new JarOutputStream(out, manifest)) {
                for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                    jar.putNextEntry(new JarEntry(e.getKey()));
                    jar.write(e.getValue());
                    jar.closeEntry();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write plugin JAR " + file + ": " + e.getMessage(), e);
        }
        return file;
    }

    private static Path codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
