package io.crisp.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class HandlerOptionsTest {
    private static HandlerOptions reader(Map<String, Object> options) {
        return new HandlerConfig("kata", "kata", options, Path.of("/var/lib/crisp"), Path.of("/run/crisp")).reader();
    }

    @Test
    void readsTypedValuesAndDefaults() {
        HandlerOptions o = reader(Map.of(
                "shim_path", "/usr/bin/containerd-shim-kata-v2",
                "debug", true,
                "workers", 4L,
                "timeout", "1m30s",
                "annotations", List.of("io.katacontainers.*")));
        assertEquals(Path.of("/usr/bin/containerd-shim-kata-v2"), o.path("shim_path", null));
        assertEquals(true, o.bool("debug", false));
        assertEquals(4L, o.integer("workers", 1, 1, 64));
        assertEquals(Duration.ofSeconds(90), o.duration("timeout", Duration.ZERO));
        assertEquals(List.of("io.katacontainers.*"), o.stringList("annotations", List.of()));
        assertEquals("x", o.string("absent", "x"));
        o.finish();
    }

    @Test
    void unknownKeyNamesTableAndKey() {
        HandlerOptions o = reader(Map.of("shim_path", "/bin/true", "shimpath", "/bin/false"));
        o.path("shim_path", null);
        BackendException e = assertThrows(BackendException.class, o::finish);
        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertEquals("[runtimes.kata]: unknown key 'shimpath' (known keys: shim_path)", e.getMessage());
    }

    @Test
    void wrongTypeNamesTableKeyAndValue() {
        BackendException e = assertThrows(BackendException.class, () -> reader(Map.of("debug", "yes")).bool("debug", false));
        assertEquals("[runtimes.kata] key 'debug': expected a boolean (true or false), got a string yes", e.getMessage());
    }

    @Test
    void relativePathRefused() {
        BackendException e = assertThrows(BackendException.class, () -> reader(Map.of("shim_path", "bin/shim")).path("shim_path", null));
        assertEquals("[runtimes.kata] key 'shim_path': expected an absolute path, got \"bin/shim\"", e.getMessage());
    }

    @Test
    void integerRangeAndFloatRefused() {
        assertThrows(BackendException.class, () -> reader(Map.of("workers", 0L)).integer("workers", 1, 1, 64));
        assertThrows(BackendException.class, () -> reader(Map.of("workers", 2.5d)).integer("workers", 1, 1, 64));
    }

    @Test
    void listWithNonStringRefused() {
        assertThrows(BackendException.class, () -> reader(Map.of("annotations", List.of("a", 1L))).stringList("annotations", List.of()));
    }

    @Test
    void badDurationNamesKey() {
        BackendException e = assertThrows(BackendException.class, () -> reader(Map.of("timeout", "soon")).duration("timeout", Duration.ZERO));
        assertEquals("[runtimes.kata] key 'timeout': \"soon\" is not a duration (try \"30s\", \"5m\" or \"1h\")", e.getMessage());
    }
}
