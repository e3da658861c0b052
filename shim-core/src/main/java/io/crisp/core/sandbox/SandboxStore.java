package io.crisp.core.sandbox;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pod sandboxes this daemon knows, in memory: {@code ListPodSandbox} runs every second from the
 * kubelet and reads only this map. Persistence to disk and recovery arrive with the pod lifecycle
 * (issue 4); until then no sandbox can be created, so the store is empty.
 */
public final class SandboxStore {
    private final Map<String, Sandbox> sandboxes = new ConcurrentHashMap<>();

    public List<Sandbox> list(SandboxFilter filter) {
        return sandboxes.values().stream().filter(filter::matches).toList();
    }

    void put(Sandbox sandbox) {
        sandboxes.put(sandbox.id(), sandbox);
    }
}
