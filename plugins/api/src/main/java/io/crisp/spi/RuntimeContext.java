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

    /**
     * The daemon's cgroup driver ({@code cgroup_driver}); it does not change while the daemon runs.
     * A backend passes it on to its runtime (runc {@code --systemd-cgroup}, the shim's
     * {@code SystemdCgroup} option) or, when it cannot honour {@link CgroupDriver#SYSTEMD}, refuses
     * in {@link RuntimePlugin#create} with a {@link BackendException} naming the handler. Since SPI 1.3;
     * the default is what every host before it used.
     */
    default CgroupDriver cgroupDriver() {
        return CgroupDriver.CGROUPFS;
    }

    /** The clock to stamp events with; tests may substitute it. */
    default Clock clock() {
        return Clock.systemUTC();
    }
}
