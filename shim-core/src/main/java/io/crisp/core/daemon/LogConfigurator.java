package io.crisp.core.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * Configures logback in code, found through {@code META-INF/services}: logs go to stderr (the
 * journal under systemd; {@link LogFiles} moves them to {@code log_file}) at INFO until {@link LogLevels} applies {@code log_level}. Doing this in
 * code rather than in {@code logback.xml} keeps the XML configurator and parser, several hundred
 * classes, out of the daemon's memory.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
    /** The name of the stderr appender, which {@link LogFiles} replaces when {@code log_file} is set. */
    static final String STDERR = "stderr";

    /** The line format of every crisp log, on stderr or in {@code log_file}. */
    static PatternLayoutEncoder encoder(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{24}: %msg%n");
        encoder.start();
        return encoder;
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName(STDERR);
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder(context));
        stderr.start();
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(stderr);
        for (String name : new String[] {"org.pf4j", "io.grpc", "io.netty"}) {
            context.getLogger(name).setLevel(Level.WARN);
        }
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
