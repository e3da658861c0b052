package io.crisp.core.plugin;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.BackendException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An immutable snapshot of the handlers, swapped as a whole on reload so that every request sees
 * one consistent table.
 *
 * @param generation increases by one with every table installed; Status reports it
 * @param defaultHandler the handler {@code runtime_handler = ""} selects
 */
public record HandlerTable(long generation, String defaultHandler, Map<String, Handler> handlers) {
    public HandlerTable {
        requireNonNull(defaultHandler, "defaultHandler is null");
        handlers = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(handlers, "handlers is null")));
        if (!handlers.containsKey(defaultHandler)) {
            throw new IllegalArgumentException("default handler '" + defaultHandler + "' is not in the table");
        }
    }

    /**
     * The handler for a pod's {@code runtime_handler}. CRI: "If the runtime handler is unknown, this
     * request should be rejected. An empty string should select the default handler."
     *
     * @throws BackendException INVALID_ARGUMENT naming the handler and listing the configured ones
     */
    public Handler resolve(String runtimeHandler) {
        String name = runtimeHandler.isEmpty() ? defaultHandler : runtimeHandler;
        Handler handler = handlers.get(name);
        if (handler == null) {
            throw BackendException.invalidArgument("runtime_handler '%s' is not configured on this node (configured handlers: %s; \"\" selects %s)",
                    runtimeHandler, String.join(", ", handlers.keySet()), defaultHandler);
        }
        return handler;
    }

    public Handler defaultHandlerInstance() {
        return handlers.get(defaultHandler);
    }

}
