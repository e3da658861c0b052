package io.crisp.core.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/** Applies {@code log_level} to logback: crisp's loggers at that level, chatty libraries one step quieter. */
public final class LogLevels {
    /** How long {@link #context} waits for another thread's initialisation of logging. */
    private static final long INIT_WAIT_NANOS = 30_000_000_000L;

    private LogLevels() {}

    public static void apply(String level) {
        LoggerContext context = context();
        Level crisp = Level.toLevel(level, Level.INFO);
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(crisp);
        Level libraries = crisp.isGreaterOrEqual(Level.INFO) ? Level.WARN : Level.INFO;
        for (String name : new String[] {"org.pf4j", "io.grpc", "io.netty"}) {
            context.getLogger(name).setLevel(libraries);
        }
    }

    /**
     * Logback's context, once logging is initialised. While another thread initialises it (the
     * daemon's {@code crisp-preload} thread, beside the configuration's reading), SLF4J answers with
     * a stand-in factory rather than waiting; this waits for the real one instead.
     *
     * @throws IllegalStateException when logging is not logback, or not initialised within 30 s
     */
    static LoggerContext context() {
        long deadline = System.nanoTime() + INIT_WAIT_NANOS;
        while (true) {
            ILoggerFactory factory = LoggerFactory.getILoggerFactory();
            if (factory instanceof LoggerContext context) {
                return context;
            }
            if (!(factory instanceof org.slf4j.helpers.SubstituteLoggerFactory) || System.nanoTime() > deadline) {
                throw new IllegalStateException("logging is not logback's, or not initialised: " + factory.getClass().getName());
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while logging initialises", e);
            }
        }
    }
}
