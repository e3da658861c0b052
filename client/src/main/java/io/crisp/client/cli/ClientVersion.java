package io.crisp.client.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code --version} of the client commands: the build's version, filtered in by Maven. */
public final class ClientVersion implements IVersionProvider {
    /** This build's version, e.g. {@code 0.1.0}. */
    public static final String VERSION = load();

    @Override
    public String[] getVersion() {
        return new String[] {"crisp " + VERSION};
    }

    private static String load() {
        Properties p = new Properties();
        try (InputStream in = ClientVersion.class.getResourceAsStream("client.properties")) {
            if (in == null) {
                throw new IllegalStateException("io/crisp/client/cli/client.properties is missing from the client JAR");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("version");
    }
}
