package io.crisp.core.daemon;

import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.model.ExitStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives container events from backends. Until the container store exists (issue 4) the events
 * are only logged; there are no containers yet that could produce them.
 */
final class LoggingEventSink implements ContainerEventSink {
    private static final Logger log = LoggerFactory.getLogger(LoggingEventSink.class);

    @Override
    public void exited(String containerId, ExitStatus status) {
        log.info("Container {} exited with code {}", containerId, status.code());
    }

    @Override
    public void oomKilled(String containerId) {
        log.info("Container {} was OOM-killed", containerId);
    }
}
