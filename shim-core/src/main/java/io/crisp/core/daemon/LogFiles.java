package io.crisp.core.daemon;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.rolling.FixedWindowRollingPolicy;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy;
import ch.qos.logback.core.util.Duration;
import ch.qos.logback.core.util.FileSize;
import io.crisp.core.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves the daemon's log from stderr to {@code log_file}, which logback then rotates by size:
 * at {@code log_max_size} the file becomes {@code <log_file>.1}, {@code .1} becomes {@code .2}, ...
 * and the file past {@code log_max_files} is deleted. Without {@code log_file} nothing changes:
 * stderr stays the log (under systemd, the journal, which rotates on its own).
 */
public final class LogFiles {
    private LogFiles() {}

    /**
     * @throws ConfigException when the file's directory cannot be created or the file not opened
     */
    public static void rotateTo(Path file, long maxSize, int maxFiles) {
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new ConfigException("top level key 'log_file': cannot create " + file.getParent() + ": " + e.getMessage());
        }
        LoggerContext context = LogLevels.context();
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        Appender<ILoggingEvent> stderr = root.getAppender(LogConfigurator.STDERR);
        RollingFileAppender<ILoggingEvent> appender = new RollingFileAppender<>();
        appender.setContext(context);
        appender.setName("file");
        appender.setFile(file.toString());
        appender.setAppend(true);
        FixedWindowRollingPolicy rolling = new FixedWindowRollingPolicy();
        rolling.setContext(context);
        rolling.setParent(appender);
        rolling.setFileNamePattern(file + ".%i");
        rolling.setMinIndex(1);
        rolling.setMaxIndex(maxFiles);
        SizeBasedTriggeringPolicy<ILoggingEvent> trigger = new SizeBasedTriggeringPolicy<>();
        trigger.setContext(context);
        trigger.setMaxFileSize(new FileSize(maxSize));
        // logback looks at the size once a minute by default; once a second keeps a file near its limit.
        trigger.setCheckIncrement(Duration.buildBySeconds(1));
        appender.setRollingPolicy(rolling);
        appender.setTriggeringPolicy(trigger);
        appender.setEncoder(LogConfigurator.encoder(context));
        rolling.start();
        trigger.start();
        appender.start();
        if (!appender.isStarted()) {
            throw new ConfigException("top level key 'log_file': cannot write " + file);
        }
        root.addAppender(appender);
        LoggerFactory.getLogger(LogFiles.class).info("Logging to {} from now on (rotated at {} bytes, {} kept)", file, maxSize, maxFiles);
        if (stderr != null) {
            root.detachAppender(stderr);
            stderr.stop();
        }
    }
}
