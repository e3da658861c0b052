package io.crisp.core.state;

import io.crisp.spi.BackendException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Names that belong to one object until it is removed (CRI: a second sandbox or container with
 * the same metadata must be refused until the first is removed). A reservation is taken before any
 * work starts, so two concurrent requests for one name cannot both proceed.
 */
public final class NameReservations {
    private final Map<String, String> owners = new ConcurrentHashMap<>();
    private final String what;

    /** @param what the kind of object, for error messages: "pod sandbox", "container" */
    public NameReservations(String what) {
        this.what = what;
    }

    /** @throws BackendException ALREADY_EXISTS naming the holder */
    public void reserve(String name, String id) {
        String holder = owners.putIfAbsent(name, id);
        if (holder != null && !holder.equals(id)) {
            throw new BackendException(BackendException.Kind.ALREADY_EXISTS, String.format(
                    "%s name %s is reserved by %s %s; remove it first", what, name, what, holder));
        }
    }

    /** Releases the name if {@code id} holds it. */
    public void release(String name, String id) {
        owners.remove(name, id);
    }
}
