package io.crisp.core.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Applies {@code log_level} to logback: crisp's loggers at that level, chatty libraries one step quieter. */
public final class LogLevels {
    private LogLevels() {}

    public static void apply(String level) {
        Level crisp = Level.toLevel(level, Level.INFO);
        root().setLevel(crisp);
        Level libraries = crisp.isGreaterOrEqual(Level.INFO) ? Level.WARN : Level.INFO;
        for (String name : new String[] {"org.pf4j", "io.grpc", "io.netty"}) {
            ((Logger) LoggerFactory.getLogger(name)).setLevel(libraries);
        }
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
