package io.crisp.core.network.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.crisp.spi.BackendException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class CniPluginsTest {
    @TempDir
    Path dir;

    @Test
    void cniArgsAsKubernetesRuntimesPassThem() {
        assertEquals("IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=abc;"
                + "K8S_POD_UID=u-1", CniPlugins.cniArgs("default", "web", "abc", "u-1"));
    }

    @Test
    void errorJsonBecomesTheMessage() {
        BackendException invalid = CniPlugins.failure("host-local", "ADD", 1,
                "{\"cniVersion\":\"1.0.0\",\"code\":7,\"msg\":\"invalid range\",\"details\":\"10.0.0.0/33\"}"
                        .getBytes(StandardCharsets.UTF_8), "warning\n");
        assertEquals(BackendException.Kind.INVALID_ARGUMENT, invalid.kind());
        assertEquals("CNI plugin host-local ADD failed (code 7): invalid range: 10.0.0.0/33; stderr: warning",
                invalid.getMessage());

        BackendException busy = CniPlugins.failure("bridge", "DEL", 1,
                "{\"code\":11,\"msg\":\"try later\"}".getBytes(StandardCharsets.UTF_8), "");
        assertEquals(BackendException.Kind.UNAVAILABLE, busy.kind());
        assertEquals("CNI plugin bridge DEL failed (code 11): try later", busy.getMessage());

        BackendException raw = CniPlugins.failure("x", "ADD", 2, "panic!".getBytes(StandardCharsets.UTF_8), "");
        assertEquals("CNI plugin x ADD failed with exit code 2: panic!", raw.getMessage());
    }

    @Test
    void runsWithCleanEnvironmentAndConfigOnStdin() throws Exception {
        FakePlugins fake = new FakePlugins(dir);
        CniPlugins plugins = new CniPlugins(List.of(dir.resolve("nothing"), fake.bin), Duration.ofSeconds(10));
        JsonNode result = plugins.invoke("ipam", "ADD", new CniPlugins.Call("sb1", "/run/netns/x", "eth0", "A=1"),
                CniConfig.JSON.createObjectNode().put("type", "ipam").put("name", "n"));
        assertEquals("10.99.0.2/24", result.at("/ips/0/address").asText());
        assertEquals(List.of("CNI_ARGS=A=1", "CNI_COMMAND=ADD", "CNI_CONTAINERID=sb1", "CNI_IFNAME=eth0",
                "CNI_NETNS=/run/netns/x", "CNI_PATH=" + dir.resolve("nothing") + ":" + fake.bin),
                fake.env("ADD", "ipam", "eth0"));
        assertEquals("{\"type\":\"ipam\",\"name\":\"n\"}", fake.stdin("ADD", "ipam", "eth0").strip());
        assertTrue(plugins.execNanos() > 0);
        assertTrue(plugins.invoke("ipam", "DEL", new CniPlugins.Call("sb1", "", "eth0", ""),
                CniConfig.JSON.createObjectNode()).isNull());
    }

    @Test
    void missingBinaryAndTimeout() throws Exception {
        FakePlugins fake = new FakePlugins(dir);
        CniPlugins plugins = new CniPlugins(List.of(fake.bin), Duration.ofSeconds(1));
        assertEquals("", plugins.missing(List.of("ipam", "chain")));
        assertEquals("CNI plugin binary \"nope\" not found in [" + fake.bin + "]", plugins.missing(List.of("ipam", "nope")));
        BackendException missing = assertThrows(BackendException.class, () -> plugins.invoke("nope", "ADD",
                new CniPlugins.Call("s", "", "eth0", ""), CniConfig.JSON.createObjectNode()));
        assertEquals(BackendException.Kind.UNAVAILABLE, missing.kind());

        long start = System.nanoTime();
        BackendException slow = assertThrows(BackendException.class, () -> plugins.invoke("slow", "ADD",
                new CniPlugins.Call("s", "", "eth0", ""), CniConfig.JSON.createObjectNode()));
        assertTrue(slow.getMessage().contains("slow ADD timed out"), slow.getMessage());
        assertTrue(System.nanoTime() - start < 10_000_000_000L);
    }
}
