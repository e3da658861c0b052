package io.crisp.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class ConfigPrinterTest {
    @TempDir
    Path dir;

    private ConfigLoader loader() {
        return new ConfigLoader(dir.resolve("home"));
    }

    private CrispConfig defaults() {
        return loader().load(dir.resolve("absent.toml"), false, dir.resolve("absent.d"), Map.of());
    }

    /** Writes the printed text to a file and loads it back as the main configuration file. */
    private CrispConfig reload(String printed) throws IOException {
        Path file = Files.writeString(dir.resolve("printed.toml"), printed);
        return loader().load(file, true, dir.resolve("absent.d"), Map.of());
    }

    private static void assertSameRuntimes(CrispConfig expected, CrispConfig actual) {
        assertEquals(new ArrayList<>(expected.runtimes().keySet()), new ArrayList<>(actual.runtimes().keySet()));
        for (RuntimeTable table : expected.runtimes().values()) {
            RuntimeTable reloaded = actual.runtimes().get(table.name());
            assertEquals(table.plugin(), reloaded.plugin(), table.name());
            assertEquals(table.options(), reloaded.options(), table.name());
        }
    }

    /** The lines of the printed table [runtimes.NAME], up to the next handler's comment or the end. */
    private static String section(String printed, String handler) {
        int start = printed.indexOf("[runtimes." + handler + "]\n");
        assertTrue(start >= 0, printed);
        int end = printed.indexOf("\n# Handler '", start);
        return printed.substring(start, end < 0 ? printed.length() : end);
    }

    private static CrispConfig config(Map<ConfigKey, Object> overrides, RuntimeTable... tables) {
        Map<ConfigKey, Object> values = new EnumMap<>(ConfigKey.class);
        for (ConfigKey key : ConfigKey.values()) {
            values.put(key, key.defaultValue(Path.of("/opt/crisp")));
        }
        values.putAll(overrides);
        Map<String, RuntimeTable> runtimes = new LinkedHashMap<>();
        for (RuntimeTable t : tables) {
            runtimes.put(t.name(), t);
        }
        return new CrispConfig(values, runtimes, List.of());
    }

    @Test
    void defaultsRoundTrip() throws IOException {
        CrispConfig config = defaults();
        String printed = ConfigPrinter.print(config, Map.of(), Map.of());
        CrispConfig reloaded = reload(printed);
        assertEquals(config.values(), reloaded.values());
        assertSameRuntimes(config, reloaded);
    }

    @Test
    void defaultsPrintEveryKeyWithItsDescriptionAndFlag() {
        String printed = ConfigPrinter.print(defaults(), Map.of(), Map.of());
        assertTrue(printed.contains("""
                # Log level of the daemon; debug logs one line per RPC with its duration. Reloaded on SIGHUP. Flag: --log-level
                log_level = "info"
                """), printed);
        assertTrue(printed.contains("""
                [api]
                # CRI endpoint: unix:///path (the kubelet's --container-runtime-endpoint). Applied at start. Flag: --listen
                listen = "unix:///run/crisp/crisp.sock"
                """), printed);
        assertTrue(printed.contains("\ngrpc_max_recv_msg_size = 16777216\n"), printed);
        assertTrue(printed.contains("\nplugins_dir = \"" + dir.resolve("home/plugins") + "\"\n"), printed);
        assertTrue(printed.contains("""
                [runtimes.runc]
                plugin = "runc"
                """), printed);
        for (ConfigKey key : ConfigKey.values()) {
            assertTrue(printed.contains("Flag: " + key.flag() + "\n" + key.key() + " = "), key.key());
        }
    }

    @Test
    void fullConfigWithTwoHandlersRoundTrips() throws IOException {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("inner key", "v");
        nested.put("deep", Map.of("x", 1L));
        nested.put("tables", List.of(Map.of("a", 1L), Map.of("b", "two")));
        Map<String, Object> kata = new LinkedHashMap<>();
        kata.put("path", "C:\\dir\\\"quoted\" and 'single'\ttab\nnewline\r\u0001ctrl\u007fdel é ☃ 😀");
        kata.put("empty", "");
        kata.put("list", List.of("a", "b\"c", "d\\e"));
        kata.put("numbers", List.of(1L, -2L, 3L));
        kata.put("lists", List.of(List.of(1L), List.of("x")));
        kata.put("count", 42L);
        kata.put("negative", -7L);
        kata.put("max", Long.MAX_VALUE);
        kata.put("min", Long.MIN_VALUE);
        kata.put("ratio", 0.25);
        kata.put("large", 1.0E20);
        kata.put("small", -1.5E-7);
        kata.put("debug", true);
        kata.put("quiet", false);
        kata.put("nested", nested);
        kata.put("dotted.key", "d");
        kata.put("with space", "s");
        kata.put("empty_list", List.of());
        kata.put("empty_table", Map.of());
        Map<ConfigKey, Object> overrides = new EnumMap<>(ConfigKey.class);
        overrides.put(ConfigKey.ROOT, Path.of("/srv/crisp \"lib\""));
        overrides.put(ConfigKey.LOG_LEVEL, "trace");
        overrides.put(ConfigKey.LISTEN, "unix:///srv/crisp.sock");
        overrides.put(ConfigKey.GRPC_MAX_RECV_MSG_SIZE, 67108864L);
        overrides.put(ConfigKey.DEFAULT_RUNTIME, "kata");
        overrides.put(ConfigKey.CGROUP_DRIVER, "systemd");
        CrispConfig config = config(overrides,
                new RuntimeTable("runc", "runc", Map.of("runtime_path", "/usr/bin/runc"), Optional.empty()),
                new RuntimeTable("kata", "kata", kata, Optional.of(Path.of("/etc/crisp/crisp.toml"))));

        String printed = ConfigPrinter.print(config, Map.of(), Map.of());
        CrispConfig reloaded = reload(printed);

        assertEquals(config.values(), reloaded.values());
        assertSameRuntimes(config, reloaded);
    }

    @Test
    void infiniteAndNanOptionsRoundTrip() throws IOException {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("up", Double.POSITIVE_INFINITY);
        options.put("down", Double.NEGATIVE_INFINITY);
        options.put("nothing", Double.NaN);
        CrispConfig config = config(Map.of(), new RuntimeTable("runc", "runc", options, Optional.empty()));

        CrispConfig reloaded = reload(ConfigPrinter.print(config, Map.of(), Map.of()));

        assertSameRuntimes(config, reloaded);
    }

    @Test
    void loadedFileRoundTrips() throws IOException {
        Path file = Files.writeString(dir.resolve("crisp.toml"), """
                log_level = "warn"
                [runtime]
                default_runtime = "kata"
                [runtimes.kata]
                plugin = "kata"
                kernel_params = ["quiet", "a=\\"b\\""]
                vcpus = 2
                memory = 2.5
                debug = true
                [runtimes.kata.annotations]
                "io.katacontainers.config.hypervisor" = 'C:\\path'
                [runtimes.runc]
                plugin = "runc"
                """);
        CrispConfig config = loader().load(file, true, dir.resolve("absent.d"), Map.of());
        CrispConfig reloaded = reload(ConfigPrinter.print(config, Map.of(), Map.of()));
        assertEquals(config.values(), reloaded.values());
        assertSameRuntimes(config, reloaded);
        assertEquals("C:\\path", ((Map<?, ?>) reloaded.runtimes().get("kata").options().get("annotations"))
                .get("io.katacontainers.config.hypervisor"));
    }

    @Test
    void sensitiveKeysAreRedacted() throws IOException {
        CrispConfig config = config(Map.of(ConfigKey.DEFAULT_RUNTIME, "kata"),
                new RuntimeTable("kata", "kata", Map.of("token", "s3cr3t-kata", "vcpus", 2L), Optional.empty()),
                new RuntimeTable("runc", "runc", Map.of("token", "visible-runc"), Optional.empty()));

        String printed = ConfigPrinter.print(config, Map.of(), Map.of("kata", Set.of("token")));

        assertTrue(section(printed, "kata").contains("\ntoken = \"<redacted>\"\n"), printed);
        assertTrue(section(printed, "kata").contains("\nvcpus = 2\n"), printed);
        assertFalse(printed.contains("s3cr3t-kata"), printed);
        assertTrue(section(printed, "runc").contains("\ntoken = \"visible-runc\"\n"), "masking is per plugin: " + printed);
        assertEquals("<redacted>", reload(printed).runtimes().get("kata").options().get("token"));
    }

    @Test
    void pluginDefaultsCommentedOnlyForKeysNotSet() throws IOException {
        CrispConfig config = config(Map.of(ConfigKey.DEFAULT_RUNTIME, "kata"),
                new RuntimeTable("kata", "kata", Map.of("vcpus", 4L), Optional.empty()),
                new RuntimeTable("runc", "runc", Map.of(), Optional.empty()));
        Map<String, Object> kataDefaults = new LinkedHashMap<>();
        kataDefaults.put("vcpus", 1L);
        kataDefaults.put("kernel", "/boot/vmlinuz");
        kataDefaults.put("kernel_params", List.of("quiet"));
        Map<String, Map<String, Object>> defaults = Map.of(
                "kata", kataDefaults,
                "example", Map.of("greeting", "hello"));

        String printed = ConfigPrinter.print(config, defaults, Map.of());

        String kata = section(printed, "kata");
        assertTrue(kata.contains("\nvcpus = 4\n"), printed);
        assertFalse(kata.contains("vcpus = 1"), printed);
        assertTrue(kata.contains("\n# kernel = \"/boot/vmlinuz\"   (plugin default)\n"), printed);
        assertTrue(kata.contains("\n# kernel_params = [\"quiet\"]   (plugin default)\n"), printed);
        assertFalse(section(printed, "runc").contains("(plugin default)"), "runc has no defaults given: " + printed);
        assertFalse(printed.contains("greeting"), "defaults of a plugin no handler uses are not printed: " + printed);

        CrispConfig reloaded = reload(printed);
        assertEquals(Map.of("vcpus", 4L), reloaded.runtimes().get("kata").options(), "commented defaults are not options");
    }
}
