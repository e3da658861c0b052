package io.crisp.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.oci.SpecRules;
import io.crisp.core.oci.Ulimit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class SpecRuleKeysTest {
    private static final String ORIGIN = "[runtimes.kata] in /etc/crisp/crisp.toml";
    private static final Map<String, Object> KATA_DEFAULTS = Map.of("shim_path", "containerd-shim-kata-v2",
            "pod_annotations", List.of("io.katacontainers.*"));

    @TempDir
    Path dir;

    @Test
    void absentKeysTakeThePluginsDefaultsThenTheCores() {
        // systemd's 1024:524288, lowered to what the daemon itself may give (this process's hard limit).
        long hard = Math.min(524288, Ulimit.ownHardNofile());
        List<Ulimit> nofile = List.of(new Ulimit("nofile", Math.min(1024, hard), hard));
        assertEquals(nofile, SpecRuleKeys.coreDefaultUlimits());
        assertEquals(new SpecRules(Optional.empty(), Optional.empty(), false, false, nofile),
                SpecRuleKeys.read(ORIGIN, Map.of(), Map.of()));
        assertEquals(new SpecRules(Optional.of(List.of("io.katacontainers.*")), Optional.empty(), false, false, nofile),
                SpecRuleKeys.read(ORIGIN, Map.of(), KATA_DEFAULTS));
    }

    @Test
    void theTableWinsOverThePluginsDefault() {
        Map<String, Object> table = Map.of("pod_annotations", List.of(), "container_annotations", List.of("example.com/*"),
                "privileged_without_host_devices", true, "vm_annotations", true, "shim_path", "/x", "default_ulimits", List.of());
        assertEquals(new SpecRules(Optional.of(List.of()), Optional.of(List.of("example.com/*")), true, true),
                SpecRuleKeys.read(ORIGIN, table, KATA_DEFAULTS), "default_ulimits = [] (the table's) leaves the daemon's");
    }

    @Test
    void defaultUlimitsInCriOsFormat() {
        // A later entry for the same limit replaces the earlier one.
        assertEquals(List.of(new Ulimit("nofile", 1048576, 1048576), new Ulimit("core", -1, -1), new Ulimit("nproc", 100, 200)),
                SpecRuleKeys.read(ORIGIN, Map.of("default_ulimits", List.of("nofile=1048576", "nproc=1:2", "core=-1",
                        "NProc=100:200")), Map.of()).defaultUlimits());
        assertEquals("nofile=1024:unlimited", Ulimit.parse("nofile=1024:unlimited").toString());
        assertMessage(Map.of("default_ulimits", "nofile=1"), ORIGIN + " key 'default_ulimits': expected a list of strings");
        assertMessage(Map.of("default_ulimits", List.of("nofile")), ORIGIN + " key 'default_ulimits': \"nofile\" is not NAME=SOFT[:HARD]");
        assertMessage(Map.of("default_ulimits", List.of("files=1")), ORIGIN + " key 'default_ulimits': \"files=1\": unknown limit 'files'");
        assertMessage(Map.of("default_ulimits", List.of("nofile=2:1")),
                ORIGIN + " key 'default_ulimits': \"nofile=2:1\": the soft limit is above the hard limit");
        assertMessage(Map.of("default_ulimits", List.of("nofile=lots")),
                ORIGIN + " key 'default_ulimits': \"nofile=lots\": 'lots' is not a limit");
    }

    @Test
    void pluginOptionsAreTheRestInOrder() {
        Map<String, Object> table = new LinkedHashMap<>();
        table.put("shim_path", "/x");
        table.put("pod_annotations", List.of());
        table.put("vm_annotations", true);
        table.put("default_ulimits", List.of());
        table.put("shim_cgroup", "/kata");
        assertEquals(List.of("shim_path", "shim_cgroup"), List.copyOf(SpecRuleKeys.pluginOptions(table).keySet()));
    }

    @Test
    void dropInfraCtrIsTheCoresUnsetByDefaultAndABoolean() {
        assertEquals(java.util.Optional.empty(), SpecRuleKeys.dropInfra(ORIGIN, Map.of()));
        assertEquals(java.util.Optional.of(false), SpecRuleKeys.dropInfra(ORIGIN, Map.of("drop_infra_ctr", false)));
        assertEquals(List.of("runtime_path"), List.copyOf(SpecRuleKeys.pluginOptions(Map.of("drop_infra_ctr", true,
                "runtime_path", "/usr/sbin/runc")).keySet()), "the plugin never sees it");
        ConfigException e = assertThrows(ConfigException.class, () -> SpecRuleKeys.dropInfra(ORIGIN, Map.of("drop_infra_ctr", "yes")));
        assertTrue(e.getMessage().startsWith(ORIGIN + " key 'drop_infra_ctr': expected a boolean"), e.getMessage());
    }

    @Test
    void badValuesNameTheTableAndTheKey() {
        assertMessage(Map.of("pod_annotations", "io.katacontainers.*"),
                ORIGIN + " key 'pod_annotations': expected a list of annotation patterns");
        assertMessage(Map.of("container_annotations", List.of("")),
                ORIGIN + " key 'container_annotations': every pattern must be a non-empty string, got \"\"");
        assertMessage(Map.of("container_annotations", List.of(1L)),
                ORIGIN + " key 'container_annotations': every pattern must be a non-empty string, got 1");
        assertMessage(Map.of("privileged_without_host_devices", "yes"),
                ORIGIN + " key 'privileged_without_host_devices': expected a boolean (true or false), got yes");
        assertMessage(Map.of("vm_annotations", 1L), ORIGIN + " key 'vm_annotations': expected a boolean");
    }

    @Test
    void theLoaderRefusesABadKeyNamingFileTableAndKey() throws Exception {
        Path file = dir.resolve("crisp.toml");
        Files.writeString(file, """
                [runtimes.kata]
                plugin = "kata"
                pod_annotations = "io.katacontainers.*"
                """);
        ConfigException e = assertThrows(ConfigException.class,
                () -> new ConfigLoader(dir).load(file, true, dir.resolve("crisp.toml.d"), Map.of()));
        assertTrue(e.getMessage().startsWith(file + ": table [runtimes.kata] key 'pod_annotations': expected a list"), e.getMessage());
    }

    private static void assertMessage(Map<String, Object> table, String prefix) {
        ConfigException e = assertThrows(ConfigException.class, () -> SpecRuleKeys.read(ORIGIN, table, Map.of()));
        assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
    }
}
