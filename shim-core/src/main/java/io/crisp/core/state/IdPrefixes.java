package io.crisp.core.state;

import io.crisp.spi.BackendException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** Ids as users type them: the whole id, or any prefix of it that only one object has (crictl prints 13 characters). */
public final class IdPrefixes {
    private IdPrefixes() {}

    /**
     * The object with this id, or the only one whose id starts with it.
     *
     * @param what "pod sandbox", "container": for messages; {@code field} names the request field
     * @throws BackendException NOT_FOUND when none matches, INVALID_ARGUMENT when the prefix is ambiguous or empty
     */
    public static <T> T resolve(Map<String, T> byId, String idOrPrefix, String field, String what) {
        if (idOrPrefix.isEmpty()) {
            throw BackendException.invalidArgument("%s: a %s id is required", field, what);
        }
        T exact = byId.get(idOrPrefix);
        if (exact != null) {
            return exact;
        }
        List<T> matches = byId.entrySet().stream().filter(e -> e.getKey().startsWith(idOrPrefix)).map(Map.Entry::getValue).limit(2).toList();
        if (matches.isEmpty()) {
            throw BackendException.notFound("%s: %s %s not found", field, what, idOrPrefix);
        }
        if (matches.size() > 1) {
            throw BackendException.invalidArgument("%s: %s id prefix %s is ambiguous", field, what, idOrPrefix);
        }
        return matches.get(0);
    }

    /** For Stop and Remove, which succeed on objects that are gone (CRI: idempotent): NOT_FOUND becomes empty. */
    public static <T> Optional<T> orAbsent(Supplier<T> lookup) {
        try {
            return Optional.of(lookup.get());
        } catch (BackendException e) {
            if (e.kind() == BackendException.Kind.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }
}
