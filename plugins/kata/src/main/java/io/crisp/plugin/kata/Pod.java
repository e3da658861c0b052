package io.crisp.plugin.kata;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.BackendException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * One pod's shim: the daemon that runs the pod's infra task and every container of the pod (for
 * Kata, the VM's host side), the ttrpc connection to it, and the copier of its log FIFO.
 */
final class Pod {
    final String id;
    final Path bundle;
    final String address;
    private volatile TaskClient client;
    private volatile ShimLog log;

    Pod(String id, Path bundle, String address) {
        this.id = requireNonNull(id, "id is null");
        this.bundle = requireNonNull(bundle, "bundle is null");
        this.address = requireNonNull(address, "address is null");
    }

    void connected(TaskClient client) {
        this.client = client;
    }

    void logging(ShimLog log) {
        this.log = log;
    }

    /** The connection, or FAILED_PRECONDITION when the shim is gone. */
    TaskClient client() {
        TaskClient c = client;
        if (c == null || !c.isOpen()) {
            throw BackendException.failedPrecondition("sandbox %s: its shim at %s is not reachable", id, address);
        }
        return c;
    }

    /** Completes when the connection is gone (at once when there is none). */
    java.util.concurrent.CompletableFuture<Void> disconnected() {
        TaskClient c = client;
        return c == null ? java.util.concurrent.CompletableFuture.completedFuture(null) : c.onClose();
    }

    boolean reachable() {
        TaskClient c = client;
        return c != null && c.isOpen();
    }

    /** Closes the connection and the log copier; the shim itself keeps running. */
    void disconnect() {
        TaskClient c = client;
        if (c != null) {
            c.close();
        }
        ShimLog l = log;
        if (l != null) {
            l.close();
        }
    }

    Map<String, String> record() {
        Map<String, String> r = new HashMap<>();
        r.put("bundle", bundle.toString());
        r.put("address", address);
        return r;
    }

    static Pod fromRecord(String id, Map<String, String> r) {
        return new Pod(id, Path.of(r.get("bundle")), r.get("address"));
    }
}
