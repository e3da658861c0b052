package io.crisp.plugin.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.crisp.spi.BackendException;
import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.HandlerConfig;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.SpiVersion;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class ExamplePluginTest {
    private static final RuntimeContext CONTEXT = new RuntimeContext() {
        @Override
        public String spiVersion() {
            return SpiVersion.CURRENT;
        }

        @Override
        public String handlerName() {
            return "demo";
        }

        @Override
        public ContainerEventSink events() {
            return ContainerEventSink.discarding();
        }
    };

    private static HandlerConfig table(Map<String, Object> options) {
        return new HandlerConfig("demo", "example", options, Path.of("/var/lib/crisp"), Path.of("/run/crisp"));
    }

    @Test
    void createsABackendThatDescribesItself() {
        try (RuntimeBackend backend = new ExamplePlugin().create(table(Map.of("description", "hello")), CONTEXT)) {
            assertEquals(Map.of("description", "hello", "handler", "demo"), backend.describe());
            assertEquals(true, backend.health().ready());
        }
    }

    @Test
    void refusesUnknownKeys() {
        BackendException e = assertThrows(BackendException.class,
                () -> new ExamplePlugin().create(table(Map.of("descripton", "typo")), CONTEXT));
        assertEquals("[runtimes.demo]: unknown key 'descripton' (known keys: description)", e.getMessage());
    }
}
