package io.crisp.plugin.nspawn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.BackendException;
import io.crisp.spi.HandlerConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class NspawnConfigTest {
    private static HandlerConfig table(Map<String, Object> options) {
        return new HandlerConfig("nspawn", "nspawn", options, Path.of("/var/lib/crisp"), Path.of("/run/crisp/runtimes/nspawn"));
    }

    @Test
    void defaultsWhenTableIsEmpty() {
        NspawnConfig config = NspawnConfig.parse(table(Map.of()));
        assertEquals(NspawnConfig.defaults(), config);
        assertEquals(Path.of("/usr/bin/systemd-nspawn"), config.nspawnPath());
        assertEquals(Path.of("/usr/bin/conmon"), config.monitorPath());
    }

    @Test
    void everyKeyMapsAndPrintsBack() {
        Map<String, Object> options = Map.of("nspawn_path", "/opt/systemd/bin/systemd-nspawn", "monitor_path",
                "/usr/local/bin/conmon", "capsh_path", "/sbin/capsh", "busybox_path", "/usr/bin/busybox", "init_path",
                "/usr/libexec/podman/catatonit");
        NspawnConfig config = NspawnConfig.parse(table(options));
        assertEquals(Path.of("/usr/libexec/podman/catatonit"), config.initPath());
        assertEquals(options, config.toOptions());
    }

    @Test
    void anUnknownKeyOrAWrongTypeIsRefusedNamingIt() {
        BackendException unknown = assertThrows(BackendException.class,
                () -> NspawnConfig.parse(table(Map.of("runtime_path", "/usr/sbin/runc"))));
        assertTrue(unknown.getMessage().contains("runtime_path"), unknown.getMessage());
        BackendException wrongType = assertThrows(BackendException.class,
                () -> NspawnConfig.parse(table(Map.of("nspawn_path", 3))));
        assertTrue(wrongType.getMessage().contains("nspawn_path"), wrongType.getMessage());
    }
}
