package io.crisp.core.sandbox;

import io.crisp.core.plugin.HandlerTable;

/**
 * The two values of the daemon's current state that running a pod reads, each at the time of the call
 * (a reload may change both); {@code runtime.DaemonState} provides them.
 */
public interface SandboxDefaults {
    /** The runtime handlers of the current configuration. */
    HandlerTable handlerTable();

    /** The pause image of the current configuration. */
    String pauseImage();
}
