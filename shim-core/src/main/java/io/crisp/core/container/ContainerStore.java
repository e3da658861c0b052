package io.crisp.core.container;

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
 * The containers this daemon knows: in memory for every read ({@code ListContainers} runs every
 * second from the kubelet), on disk ({@code <root>/containers/<id>.json}) for every change, written
 * before the call that made it returns. Also holds the reserved container names.
 */
public final class ContainerStore {
    private final Map<String, Container> containers = new ConcurrentHashMap<>();
    /** Bumped after every change, so answers built from the whole store can be reused until it moves. */
    private final java.util.concurrent.atomic.AtomicLong version = new java.util.concurrent.atomic.AtomicLong();
    private final JsonRecords<Container> files;
    /** Creating calls under way, so a restart can finish or undo what a killed daemon half made. */
    private final io.crisp.core.state.CreationMarks creating;
    private final NameReservations names = new NameReservations("container");

    public ContainerStore(Path dir) {
        // Not fsynced, as the writable layers are mounted volatile (SnapshotService): a killed daemon
        // finds every record and mark all the same (the page cache keeps them); what a power cut can
        // lose is moot after the reboot, when no container runs any more and the kubelet creates them
        // anew: a lost record leaves a rootfs and bundle no record names, which the restart removes
        // as leftovers; a stale one is answered as exited. Each state change (create, start, exit)
        // saves two fsyncs, each a wait for the node's journal (tens of ms while containers write logs).
        this.files = JsonRecords.unsynced(dir, Container.class);
        this.creating = new io.crisp.core.state.CreationMarks(dir, ".creating", false);
    }

    public List<Container> list(ContainerFilter filter) {
        if (filter.idPrefix().isPresent()) {
            Container exact = containers.get(filter.idPrefix().get());
            if (exact != null) {
                return filter.matches(exact) ? List.of(exact) : List.of();
            }
        }
        return containers.values().stream().filter(filter::matches).toList();
    }

    public Collection<Container> all() {
        return containers.values();
    }

    /** Changes with every put, remove and adoption; read it before reading the store. */
    public long version() {
        return version.get();
    }

    public Optional<Container> find(String id) {
        return Optional.ofNullable(containers.get(id));
    }

    public List<Container> inSandbox(String sandboxId) {
        return containers.values().stream().filter(c -> c.sandboxId().equals(sandboxId)).toList();
    }

    /**
     * The container with this id, or the only one whose id starts with it.
     *
     * @throws BackendException NOT_FOUND when none matches, INVALID_ARGUMENT when ambiguous or empty
     */
    public Container resolve(String idOrPrefix, String field) {
        return IdPrefixes.resolve(containers, idOrPrefix, field, "container");
    }

    void reserve(String name, String id) {
        names.reserve(name, id);
    }

    void releaseName(String name, String id) {
        names.release(name, id);
    }

    /** Records a container, on disk first, then in memory. */
    void put(Container container) {
        files.put(container.id(), container);
        containers.put(container.id(), container);
        version.incrementAndGet();
    }

    void remove(Container container) {
        files.delete(container.id());
        containers.remove(container.id());
        version.incrementAndGet();
        names.release(container.reservedName(), container.id());
    }

    Map<String, Container> load() {
        return files.loadAll();
    }

    void adopt(Container container) {
        names.reserve(container.reservedName(), container.id());
        containers.put(container.id(), container);
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

    /** Ids whose creating call was under way when the previous daemon stopped. */
    java.util.Set<String> pendingCreates() {
        return creating.pending();
    }
}
