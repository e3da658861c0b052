package io.crisp.plugin.kata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.BackendException;
import io.crisp.spi.HandlerConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KataConfigTest {
    private static HandlerConfig handler(Map<String, Object> options) {
        return new HandlerConfig("kata", "kata", options, Path.of("/var/lib/crisp/kata"), Path.of("/run/crisp/kata"));
    }

    @Test
    void defaultsAreKatasShimAndItsAnnotations() {
        KataConfig c = KataConfig.parse(handler(Map.of()));
        assertEquals(Path.of("containerd-shim-kata-v2"), c.shimPath());
        assertEquals(Optional.empty(), c.shimConfigPath());
        assertEquals(Optional.empty(), c.shimCgroup());
        assertEquals(c, KataConfig.defaults());
    }

    @Test
    void readsEveryKey() {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("shim_path", "/opt/kata/bin/containerd-shim-kata-v2");
        options.put("shim_config_path", "/opt/kata/share/defaults/kata-containers/configuration-qemu.toml");
        options.put("shim_cgroup", "/kata_shims");
        KataConfig c = KataConfig.parse(handler(options));
        assertEquals(Path.of("/opt/kata/bin/containerd-shim-kata-v2"), c.shimPath());
        assertEquals(Optional.of(Path.of("/opt/kata/share/defaults/kata-containers/configuration-qemu.toml")), c.shimConfigPath());
        assertEquals(Optional.of("/kata_shims"), c.shimCgroup());
        // What `crisp config --default` prints parses back to the defaults.
        assertEquals(KataConfig.defaults(), KataConfig.parse(handler(KataConfig.defaults().toOptions())));
    }

    @Test
    void refusesUnknownKeysAndBadValuesNamingTheKey() {
        assertMessage(Map.of("shim_paht", "/x"), "shim_paht");
        assertMessage(Map.of("shim_config_path", "relative.toml"), "shim_config_path");
        assertMessage(Map.of("shim_cgroup", "kata"), "shim_cgroup");
        assertMessage(Map.of("shim_cgroup", "/a/../b"), "shim_cgroup");
        // Generic keys are the core's: it reads them and never passes them on, so the plugin refuses them.
        assertMessage(Map.of("pod_annotations", List.of("io.katacontainers.*")), "pod_annotations");
        assertMessage(Map.of("privileged_without_host_devices", true), "privileged_without_host_devices");
        assertMessage(Map.of("shim_path", ""), "shim_path");
    }

    @Test
    void pluginDefaultOfTheGenericPodAnnotationsKeyIsKatasOwnPrefix() {
        assertEquals(List.of("io.katacontainers.*"), new KataPlugin().defaultOptions().get("pod_annotations"));
    }

    @Test
    void resolvesTheShimOnThePathOrByAbsolutePath() {
        assertEquals(Optional.empty(), new KataConfig(Path.of("/nonexistent/shim"), Optional.empty(), Optional.empty())
                .resolveShim());
        Optional<Path> sh = new KataConfig(Path.of("sh"), Optional.empty(), Optional.empty()).resolveShim();
        assertTrue(sh.isPresent() && sh.get().isAbsolute() && sh.get().getFileName().toString().equals("sh"), sh.toString());
        assertEquals(Optional.empty(), new KataConfig(Path.of("no-such-shim-anywhere"), Optional.empty(), Optional.empty()).resolveShim());
    }

    private static void assertMessage(Map<String, Object> options, String key) {
        BackendException e = assertThrows(BackendException.class, () -> KataConfig.parse(handler(options)));
        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("[runtimes.kata]") && e.getMessage().contains(key), e.getMessage());
    }
}
