package io.crisp.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** Facts about this build, filtered in by Maven: the project version and the SPI version. */
public final class CrispBuild {
    /** The runtime's name in CRI {@code VersionResponse.runtime_name}. */
    public static final String RUNTIME_NAME = "crisp";
    /** The CRI API version served. */
    public static final String CRI_API_VERSION = "v1";
    public static final String VERSION;
    public static final String SPI_VERSION;

    static {
        Properties p = new Properties();
        try (InputStream in = CrispBuild.class.getResourceAsStream("build.properties")) {
            if (in == null) {
                throw new IllegalStateException("io/crisp/core/build.properties is missing from the crisp JAR");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        VERSION = p.getProperty("version");
        SPI_VERSION = p.getProperty("spi.version");
    }

    private CrispBuild() {}
}
