package io.crisp.core.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.config.RuntimeTable;
import io.crisp.spi.BackendException;
import io.crisp.spi.Capability;
import io.crisp.spi.HandlerConfig;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.RuntimePlugin;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

final class HandlerTableTest {
    /** A backend that does nothing; the table only needs handlers to hand out. */
    private static final class NullBackend implements RuntimeBackend {
        @Override
        public Set<Capability> capabilities() {
            return Set.of(Capability.USER_NAMESPACES);
        }

        @Override
        public void close() {}
    }

    private static final RuntimePlugin PLUGIN = new RuntimePlugin() {
        @Override
        public RuntimeBackend create(HandlerConfig config, RuntimeContext context) {
            return new NullBackend();
        }
    };

    private static final LoadedPlugin LOADED = new LoadedPlugin("test", "1.0.0", "a test plugin", "*", Path.of("/plugins/test.jar"), PLUGIN);

    private static Handler handler(String name) {
        return new Handler(new RuntimeTable(name, "test", Map.of(), Optional.empty()), LOADED, new NullBackend());
    }

    private static Map<String, Handler> handlers(String... names) {
        Map<String, Handler> map = new LinkedHashMap<>();
        for (String name : names) {
            map.put(name, handler(name));
        }
        return map;
    }

    @Test
    void resolvesNamedAndDefaultHandlers() {
        Map<String, Handler> handlers = handlers("runc", "kata", "gvisor");
        HandlerTable table = new HandlerTable(3, "kata", handlers);

        assertSame(handlers.get("kata"), table.resolve(""));
        assertSame(handlers.get("kata"), table.defaultHandlerInstance());
        assertSame(handlers.get("runc"), table.resolve("runc"));
        assertSame(handlers.get("gvisor"), table.resolve("gvisor"));
        assertEquals(3, table.generation());
        assertEquals("kata", table.defaultHandler());
    }

    @Test
    void resolvingAnUnknownHandlerIsInvalidArgument() {
        HandlerTable table = new HandlerTable(1, "runc", handlers("runc", "kata"));

        BackendException e = assertThrows(BackendException.class, () -> table.resolve("nvidia"));

        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("'nvidia'"), e.getMessage());
        assertTrue(e.getMessage().contains("runc, kata"), e.getMessage());
        assertTrue(e.getMessage().contains("\"\" selects runc"), e.getMessage());
    }

    @Test
    void handlerNamesAreCaseSensitive() {
        HandlerTable table = new HandlerTable(1, "runc", handlers("runc"));

        BackendException e = assertThrows(BackendException.class, () -> table.resolve("RUNC"));

        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
    }

    @Test
    void refusesADefaultThatIsNotInTheTable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new HandlerTable(1, "kata", handlers("runc")));

        assertTrue(e.getMessage().contains("'kata'"), e.getMessage());
    }

    @Test
    void refusesAnEmptyTableAndNulls() {
        assertThrows(IllegalArgumentException.class, () -> new HandlerTable(1, "runc", Map.of()));
        assertThrows(NullPointerException.class, () -> new HandlerTable(1, null, handlers("runc")));
        assertThrows(NullPointerException.class, () -> new HandlerTable(1, "runc", null));
    }

    @Test
    void isAnImmutableSnapshotInInsertionOrder() {
        Map<String, Handler> handlers = handlers("b", "a", "c");
        HandlerTable table = new HandlerTable(1, "a", handlers);

        handlers.remove("b");
        handlers.put("d", handler("d"));

        assertEquals(List.of("b", "a", "c"), List.copyOf(table.handlers().keySet()));
        assertThrows(UnsupportedOperationException.class, () -> table.handlers().put("e", handler("e")));
        assertThrows(BackendException.class, () -> table.resolve("d"));
    }

    @Test
    void handlerExposesItsTableAndBackendCapabilities() {
        Handler h = handler("kata");

        assertEquals("kata", h.name());
        assertSame(LOADED, h.plugin());
        assertTrue(h.supports(Capability.USER_NAMESPACES));
        assertEquals(Set.of(Capability.USER_NAMESPACES), h.capabilities());
        assertEquals(0, h.pods());
        assertEquals(false, h.retired());
        assertNull(h.table().source().orElse(null));
    }
}
