package io.crisp.core.state;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ids whose creating backend call (RunPodSandbox's runSandbox, CreateContainer's createContainer)
 * is in flight under the id's lock, and the exit a backend reported meanwhile. An exit event must
 * not wait for that lock (the backend's event thread serves every pod), so it is noted here and the
 * creating call applies it when the backend returns.
 *
 * @param <E> what an exit carries
 */
public final class CallsInFlight<E> {
    private final ConcurrentHashMap<String, Optional<E>> calls = new ConcurrentHashMap<>();

    /** Called under the id's lock before the backend call. */
    public void begin(String id) {
        calls.put(id, Optional.empty());
    }

    /** True if the id's call is in flight: the (first) exit is kept for it and the caller must not lock. */
    public boolean noteExit(String id, E exit) {
        return calls.computeIfPresent(id, (k, kept) -> kept.isPresent() ? kept : Optional.of(exit)) != null;
    }

    /** Called under the id's lock once the backend call returned or failed: the exit noted meanwhile, if any. */
    public Optional<E> finish(String id) {
        Optional<E> kept = calls.remove(id);
        return kept == null ? Optional.empty() : kept;
    }
}
