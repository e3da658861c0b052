package io.crisp.plugin.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.crisp.spi.BackendException;
import io.crisp.spi.HandlerConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class RuncConfigTest {
    private static HandlerConfig table(Map<String, Object> options) {
        return new HandlerConfig("runc", "runc", options, Path.of("/var/lib/crisp"), Path.of("/run/crisp"));
    }

    @Test
    void defaultsWhenTableIsEmpty() {
        RuncConfig config = RuncConfig.parse(table(Map.of()));
        assertEquals(RuncConfig.defaults(Path.of("/run/crisp")), config);
        assertEquals(Path.of("/run/crisp/runc"), config.runtimeRoot(), "inside the given state directory, never a fixed path");
        // The core's layout, <state>/runtimes/<handler>: the daemon's state, so an upgrade finds runc's containers.
        assertEquals(Path.of("/run/crisp/runc"), RuncConfig.defaultRoot(Path.of("/run/crisp/runtimes/runc")));
        assertEquals(Path.of("/tmp/d/state/runc"), RuncConfig.defaultRoot(Path.of("/tmp/d/state/runtimes/runc-debug")));
        assertEquals(Path.of("/usr/sbin/runc"), config.runtimePath());
        assertEquals(Path.of("/usr/bin/conmon"), config.monitorPath());
    }

    @Test
    void everyKeyMaps() {
        Map<String, Object> options = Map.of(
                "runtime_type", "oci",
                "runtime_path", "/usr/bin/crun",
                "runtime_root", "/run/crun",
                "monitor_path", "/usr/local/bin/conmon",
                "criu_path", "/opt/criu/bin/criu");
        RuncConfig config = RuncConfig.parse(table(options));
        assertEquals(new RuncConfig(Path.of("/usr/bin/crun"), Path.of("/run/crun"), Path.of("/usr/local/bin/conmon"),
                Path.of("/opt/criu/bin/criu")), config);
        assertEquals(java.util.Optional.of(Path.of("/opt/criu/bin/criu")), config.toCli().criuPath(), "runc is given this CRIU");
        assertEquals(options, config.toOptions());
    }

    @Test
    void vmAnnotationsIsTheCoresKeyNotThePlugins() {
        // The core reads vm_annotations (a generic handler key) and never passes it on.
        BackendException e = assertThrows(BackendException.class, () -> RuncConfig.parse(table(Map.of("vm_annotations", true))));
        assertEquals(true, e.getMessage().contains("unknown key 'vm_annotations'"), e.getMessage());
    }

    @Test
    void unknownKeyRefusedNamingTable() {
        BackendException e = assertThrows(BackendException.class, () -> RuncConfig.parse(table(Map.of("runtime", "/usr/bin/crun"))));
        assertEquals("[runtimes.runc]: unknown key 'runtime' (known keys: runtime_type, runtime_path, runtime_root, monitor_path, criu_path)", e.getMessage());
    }

    @Test
    void otherRuntimeTypesAreReservedAndRefused() {
        BackendException e = assertThrows(BackendException.class, () -> RuncConfig.parse(table(Map.of("runtime_type", "vm"))));
        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertEquals(true, e.getMessage().startsWith("[runtimes.runc]: runtime_type \"vm\" is reserved"), e.getMessage());
    }
}
