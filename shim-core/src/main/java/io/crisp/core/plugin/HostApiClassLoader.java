package io.crisp.core.plugin;

import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * The parent of every plugin class loader: it shows a plugin the Java platform and the host's API
 * packages, nothing else. A plugin therefore cannot pick up the daemon's gRPC, protobuf or Netty by
 * accident; it bundles what it uses, and its copies never clash with the host's.
 *
 * <p>The shared packages are exactly the plugin API's compile dependencies, as in Trino's
 * {@code SPI_PACKAGES}: the SPI itself, pf4j (the extension point) and slf4j (logging), plus JNA,
 * the host's one native-call library (a second copy in a plugin would load a second native stub),
 * and Jackson, the host's one JSON library: plugins read {@code config.json}, runtime state and
 * monitor replies with it. Sharing it rather than shading a copy into every plugin JAR keeps one set
 * of its classes in the daemon's memory (a copy per plugin class loader would cost each handler
 * family several MB of metaspace) and one version pinned in the parent POM.
 */
final class HostApiClassLoader extends ClassLoader {
    /** Class name prefixes shared with plugins. A plugin JAR must not contain these. */
    static final List<String> SHARED_PACKAGES = List.of("io.crisp.spi.", "org.pf4j.", "org.slf4j.", "com.sun.jna.",
            "com.fasterxml.jackson.");

    static {
        registerAsParallelCapable();
    }

    private final ClassLoader host;

    HostApiClassLoader(ClassLoader host) {
        super("crisp-host-api", ClassLoader.getPlatformClassLoader());
        this.host = host;
    }

    static boolean isShared(String className) {
        for (String prefix : SHARED_PACKAGES) {
            if (className.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isSharedResource(String resource) {
        return isShared(resource.replace('/', '.'));
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (isShared(name)) {
            return host.loadClass(name);
        }
        // Platform classes through the parent; anything else is not visible to plugins.
        return super.loadClass(name, resolve);
    }

    @Override
    public URL getResource(String name) {
        return isSharedResource(name) ? host.getResource(name) : super.getResource(name);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        return isSharedResource(name) ? host.getResources(name) : super.getResources(name);
    }

    @Override
    protected URL findResource(String name) {
        return null;
    }

    @Override
    protected Enumeration<URL> findResources(String name) {
        return Collections.emptyEnumeration();
    }
}
