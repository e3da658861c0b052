package io.crisp.spi;

import java.time.Clock;

/**
 * Host services the core hands to a backend when it creates it. It is safe to keep a reference for
 * the backend's whole life. Methods added in later SPI versions come with defaults.
 */
public interface RuntimeContext {
    /** The SPI version of the host; compare with the one the plugin was built against. */
    String spiVersion();

    /** The handler this backend serves, for log lines and error messages. */
    String handlerName();

    /** Where the backend reports container exits and OOM kills it observes on its own. */
    ContainerEventSink events();

    /** The clock to stamp events with; tests may substitute it. */
    default Clock clock() {
        return Clock.systemUTC();
    }
}
