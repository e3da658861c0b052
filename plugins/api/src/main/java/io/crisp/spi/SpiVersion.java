package io.crisp.spi;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of this plugin contract. Plugins declare the range they accept with
 * {@code Plugin-Requires} in their JAR manifest (for example {@code >=1.0.0 & <2.0.0}); the host
 * refuses to load a plugin whose range excludes {@link #CURRENT}.
 *
 * <p>Minor versions only add: new methods arrive as {@code default} methods and new model fields as
 * new record factories, so a plugin built against 1.0 keeps working on 1.x.
 */
public final class SpiVersion {
    /** The SPI version this JAR implements, taken from the build. */
    public static final String CURRENT = load();

    private SpiVersion() {}

    private static String load() {
        try (InputStream in = SpiVersion.class.getResourceAsStream("spi.properties")) {
            if (in == null) {
                throw new IllegalStateException("io/crisp/spi/spi.properties is missing from the plugin API JAR");
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("spi.version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
