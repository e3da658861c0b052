package io.crisp.core.sandbox;

import io.crisp.core.plugin.Handler;
import io.crisp.core.state.IdPrefixes;
import io.crisp.core.state.JsonRecords;
import io.crisp.core.state.NameReservations;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pod sandboxes this daemon knows: in memory for every read ({@code ListPodSandbox} runs every
 * second from the kubelet), and on disk ({@code <root>/pods/<id>.json}) for every change, written
 * before the call that made it returns. Also holds the handler each pod runs on and the reserved
 * pod names.
 */
public final class SandboxStore {
    private final Map<String, Sandbox> sandboxes = new ConcurrentHashMap<>();
    /** Bumped after every change, so answers built from the whole store can be reused until it moves. */
    private final java.util.concurrent.atomic.AtomicLong version = new java.util.concurrent.atomic.AtomicLong();
    private final Map<String, Handler> handlers = new ConcurrentHashMap<>();
    private final JsonRecords<Sandbox> files;
    /** Creating calls under way, so a restart can finish or undo what a killed daemon half made. */
    private final io.crisp.core.state.CreationMarks creating;
    /** StopPodSandbox calls under way, so a restart finishes a stop a killed daemon left half done. */
    private final io.crisp.core.state.CreationMarks stopping;
    private final NameReservations names = new NameReservations("pod sandbox");

    public SandboxStore(Path dir) {
        this.files = new JsonRecords<>(dir, Sandbox.class);
        this.creating = new io.crisp.core.state.CreationMarks(dir);
        // not synced: only a killed daemon leaves a stop half done for a restart to finish; a power cut takes the pod's processes and pins
        this.stopping = new io.crisp.core.state.CreationMarks(dir, ".stopping", false);
    }

    public List<Sandbox> list(SandboxFilter filter) {
        if (filter.idPrefix().isPresent()) {
            Sandbox exact = sandboxes.get(filter.idPrefix().get());
            if (exact != null) {
                return filter.matches(exact) ? List.of(exact) : List.of();
            }
        }
        return sandboxes.values().stream().filter(filter::matches).toList();
    }

    public Collection<Sandbox> all() {
        return sandboxes.values();
    }

    /** Changes with every put, remove and adoption; read it before reading the store. */
    public long version() {
        return version.get();
    }

    public Optional<Sandbox> find(String id) {
        return Optional.ofNullable(sandboxes.get(id));
    }

    /**
     * The sandbox with this id, or the only one whose id starts with it (crictl users pass short ids).
     *
     * @param field the request field, for the error message
     * @throws BackendException NOT_FOUND when none matches, INVALID_ARGUMENT when the prefix is ambiguous or empty
     */
    public Sandbox resolve(String idOrPrefix, String field) {
        return IdPrefixes.resolve(sandboxes, idOrPrefix, field, "pod sandbox");
    }

    public Optional<Handler> handler(String sandboxId) {
        return Optional.ofNullable(handlers.get(sandboxId));
    }

    void reserve(Sandbox sandbox) {
        names.reserve(sandbox.reservedName(), sandbox.id());
    }

    /** Records a sandbox, on disk first, then in memory. */
    void put(Sandbox sandbox) {
        files.put(sandbox.id(), sandbox);
        sandboxes.put(sandbox.id(), sandbox);
        version.incrementAndGet();
    }

    void bind(String sandboxId, Handler handler) {
        handlers.put(sandboxId, handler);
    }

    /** Forgets a sandbox: file, memory, name; returns the handler it was bound to, if any. */
    Optional<Handler> remove(Sandbox sandbox) {
        files.delete(sandbox.id());
        sandboxes.remove(sandbox.id());
        version.incrementAndGet();
        names.release(sandbox.reservedName(), sandbox.id());
        return Optional.ofNullable(handlers.remove(sandbox.id()));
    }

    void releaseName(Sandbox sandbox) {
        names.release(sandbox.reservedName(), sandbox.id());
    }

    /** What the previous daemon left on disk. */
    Map<String, Sandbox> load() {
        return files.loadAll();
    }

    void adopt(Sandbox sandbox) {
        names.reserve(sandbox.reservedName(), sandbox.id());
        sandboxes.put(sandbox.id(), sandbox);
        version.incrementAndGet();
    }

    /** Marks {@code id} as being created (on disk) before its creating call makes anything. */
    void beginCreate(String id) {
        creating.begin(id);
    }

    /** Its creating call finished or was undone. */
    void endCreate(String id) {
        creating.end(id);
    }

    /** Marks {@code id} as being stopped, before its stop does anything. */
    void beginStop(String id) {
        stopping.begin(id);
    }

    /** Its stop finished, or the pod is gone. */
    void endStop(String id) {
        stopping.end(id);
    }

    /** Ids whose StopPodSandbox was under way when the previous daemon stopped. */
    java.util.Set<String> pendingStops() {
        return stopping.pending();
    }

    /** Ids whose creating call was under way when the previous daemon stopped. */
    java.util.Set<String> pendingCreates() {
        return creating.pending();
    }
}
