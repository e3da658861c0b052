package io.crisp.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The crisp.toml the package installs in /etc/crisp (a conffile) is valid and says exactly the defaults. */
final class PackagedConfigTest {
    @Test
    void installedConfigurationEqualsTheDefaults() {
        ConfigLoader loader = new ConfigLoader(Path.of("/usr/lib/crisp"));
        CrispConfig packaged = loader.load(Path.of("../packaging/config/crisp.toml").toAbsolutePath(), true,
                Path.of("/nonexistent/crisp.toml.d"), Map.of());
        CrispConfig defaults = loader.load(Path.of("/nonexistent/crisp.toml"), false, Path.of("/nonexistent/crisp.toml.d"), Map.of());
        assertEquals(defaults.values(), packaged.values());
        assertEquals(defaults.runtimes().keySet(), packaged.runtimes().keySet());
        assertEquals(defaults.runtimes().get("runc").options(), packaged.runtimes().get("runc").options());
    }
}
