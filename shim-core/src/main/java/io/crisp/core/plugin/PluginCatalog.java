package io.crisp.core.plugin;

import io.crisp.spi.RuntimePlugin;
import io.crisp.spi.SpiVersion;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.pf4j.ClassLoadingStrategy;
import org.pf4j.JarPluginManager;
import org.pf4j.PluginClassLoader;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginLoader;
import org.pf4j.PluginState;
import org.pf4j.PluginWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend plugins loaded from the plugins directory, by plugin id. A scan loads JARs it has not
 * seen; plugins already loaded stay loaded (pods may be using them), so a scan only ever adds.
 *
 * <p>Each plugin gets its own pf4j class loader whose parent is {@link HostApiClassLoader}: it sees
 * the platform and the SPI, and its own JAR first for everything else. A JAR that bundles an SPI,
 * pf4j or slf4j class is refused, because its copy would not be the host's and casts would fail.
 *
 * <p>Thread-safety: {@link #scan} is synchronized; lookups read a map replaced on each scan.
 */
public final class PluginCatalog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PluginCatalog.class);

    private final CrispPluginManager manager = new CrispPluginManager();
    private volatile Map<String, LoadedPlugin> plugins = Map.of();
    private volatile List<PluginProblem> problems = List.of();

    /** Loads every {@code *.jar} in {@code dir} not loaded yet. Returns the problems of this scan. */
    public synchronized List<PluginProblem> scan(Path dir) {
        Map<String, LoadedPlugin> next = new TreeMap<>(plugins);
        List<PluginProblem> found = new ArrayList<>();
        for (Path jar : jars(dir, found)) {
            if (next.values().stream().anyMatch(p -> p.jar().equals(jar))) {
                continue;
            }
            try {
                LoadedPlugin plugin = load(jar, next);
                next.put(plugin.id(), plugin);
                log.info("Loaded plugin '{}' {} from {}", plugin.id(), plugin.version(), jar);
            } catch (RuntimeException e) {
                String message = e.getMessage() == null ? e.toString() : e.getMessage();
                log.error("Cannot load plugin JAR {}: {}", jar, message);
                found.add(new PluginProblem(jar, message));
            }
        }
        plugins = Map.copyOf(next);
        problems = List.copyOf(found);
        return problems;
    }

    public Optional<LoadedPlugin> find(String id) {
        return Optional.ofNullable(plugins.get(id));
    }

    /** Loaded plugins by id, sorted. */
    public Map<String, LoadedPlugin> plugins() {
        return new TreeMap<>(plugins);
    }

    /** The problems of the last scan. */
    public List<PluginProblem> problems() {
        return problems;
    }

    private LoadedPlugin load(Path jar, Map<String, LoadedPlugin> loaded) {
        String declared = declaredId(jar);
        LoadedPlugin clash = loaded.get(declared);
        if (clash != null) {
            throw new IllegalStateException("plugin id '" + declared + "' is already loaded from " + clash.jar()
                    + "; remove one of the two JARs");
        }
        String id;
        try {
            id = manager.loadPlugin(jar);
        } catch (RuntimeException e) {
            throw new IllegalStateException(cause(e), e);
        }
        PluginWrapper wrapper = manager.getPlugin(id);
        PluginDescriptor descriptor = wrapper.getDescriptor();
        if (wrapper.getPluginState() != PluginState.RESOLVED) {
            manager.unloadPlugin(id);
            throw new IllegalStateException("plugin '" + id + "' requires SPI " + descriptor.getRequires()
                    + " but this crisp provides SPI " + SpiVersion.CURRENT);
        }
        PluginState state = manager.startPlugin(id);
        if (state != PluginState.STARTED) {
            manager.unloadPlugin(id);
            throw new IllegalStateException("plugin '" + id + "' did not start (state " + state + ")");
        }
        List<RuntimePlugin> extensions = manager.getExtensions(RuntimePlugin.class, id);
        if (extensions.size() != 1) {
            manager.stopPlugin(id);
            manager.unloadPlugin(id);
            throw new IllegalStateException("plugin '" + id + "' must have exactly one @Extension implementing "
                    + RuntimePlugin.class.getName() + ", found " + extensions.size()
                    + " (is META-INF/extensions.idx in the JAR? put pf4j on the annotation processor path)");
        }
        return new LoadedPlugin(id, descriptor.getVersion(), nullToEmpty(descriptor.getPluginDescription()),
                nullToEmpty(descriptor.getRequires()), jar, extensions.get(0));
    }

    private static List<Path> jars(Path dir, List<PluginProblem> problems) {
        List<Path> jars = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            problems.add(new PluginProblem(dir, "plugins directory " + dir + " does not exist"));
            return jars;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.jar")) {
            stream.forEach(p -> jars.add(p.toAbsolutePath().normalize()));
        } catch (IOException e) {
            problems.add(new PluginProblem(dir, "cannot list plugins directory: " + e.getMessage()));
        }
        jars.sort(null);
        return jars;
    }

    /** The Plugin-Id of a JAR's manifest, refusing JARs that have none (pf4j's own error is cryptic). */
    static String declaredId(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            String id = manifest == null ? null : manifest.getMainAttributes().getValue("Plugin-Id");
            if (id == null || id.isBlank()) {
                throw new IllegalStateException(jar + " has no Plugin-Id in META-INF/MANIFEST.MF: it is not a crisp plugin JAR");
            }
            return id.trim();
        } catch (IOException e) {
            throw new IllegalStateException(jar + " is not a readable JAR: " + e.getMessage(), e);
        }
    }

    /** Refuses a JAR that carries classes the host shares with plugins. */
    static void checkNoHostClasses(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            for (Enumeration<JarEntry> entries = file.entries(); entries.hasMoreElements(); ) {
                String name = entries.nextElement().getName();
                if (name.endsWith(".class") && HostApiClassLoader.isShared(name.replace('/', '.'))) {
                    throw new IllegalStateException(jar + " bundles host class " + name
                            + ": declare crisp-plugin-api, pf4j, slf4j-api and jna with scope 'provided'");
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(jar + " is not a readable JAR: " + e.getMessage(), e);
        }
    }

    private static String cause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + ": " + t.getMessage();
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    @Override
    public synchronized void close() {
        manager.stopPlugins();
        manager.unloadPlugins();
        plugins = Map.of();
    }

    /** pf4j with crisp's class loading: JARs only, host API as the only parent. */
    private static final class CrispPluginManager extends JarPluginManager {
        private static final HostApiClassLoader HOST_API = new HostApiClassLoader(PluginCatalog.class.getClassLoader());

        CrispPluginManager() {
            setSystemVersion(SpiVersion.CURRENT);
        }

        @Override
        protected PluginLoader createPluginLoader() {
            return new PluginLoader() {
                @Override
                public boolean isApplicable(Path pluginPath) {
                    return Files.isRegularFile(pluginPath) && pluginPath.toString().endsWith(".jar");
                }

                @Override
                public ClassLoader loadPlugin(Path pluginPath, PluginDescriptor descriptor) {
                    checkNoHostClasses(pluginPath);
                    PluginClassLoader loader = new PluginClassLoader(CrispPluginManager.this, descriptor, HOST_API, ClassLoadingStrategy.PDA);
                    loader.addFile(pluginPath.toFile());
                    return loader;
                }
            };
        }
    }
}
