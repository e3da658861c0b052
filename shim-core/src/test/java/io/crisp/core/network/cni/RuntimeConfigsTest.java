package io.crisp.core.network.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.spi.BackendException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class RuntimeConfigsTest {
    private static PodNetworkRequest request(List<PortMapping> ports, String cidr, Map<String, String> annotations,
            List<String> dns) {
        return new PodNetworkRequest("id", "p", "ns", "u", Path.of("/n"), ports, dns, List.of(), List.of(), cidr, annotations);
    }

    @Test
    void quantities() {
        assertEquals(10_000_000L, RuntimeConfigs.parseQuantity("10M"));
        assertEquals(1L << 30, RuntimeConfigs.parseQuantity("1Gi"));
        assertEquals(1024L, RuntimeConfigs.parseQuantity("1Ki"));
        assertEquals(500_000L, RuntimeConfigs.parseQuantity("500k"));
        assertEquals(1_500_000L, RuntimeConfigs.parseQuantity("1.5M"));
        assertEquals(1_000_000L, RuntimeConfigs.parseQuantity("1e6"));
        assertEquals(3L, RuntimeConfigs.parseQuantity("2500m"));
        assertEquals(123L, RuntimeConfigs.parseQuantity("123"));
        assertEquals(2_000_000_000_000_000_000L, RuntimeConfigs.parseQuantity("2E"));
        assertThrows(IllegalArgumentException.class, () -> RuntimeConfigs.parseQuantity("10 MB"));
        assertThrows(IllegalArgumentException.class, () -> RuntimeConfigs.parseQuantity("-1M"));
        assertThrows(IllegalArgumentException.class, () -> RuntimeConfigs.parseQuantity("100E"));
    }

    @Test
    void bandwidthFromAnnotations() {
        ObjectNode bw = RuntimeConfigs.bandwidth(Map.of(RuntimeConfigs.INGRESS_ANNOTATION, "10M",
                RuntimeConfigs.EGRESS_ANNOTATION, "1Mi"));
        assertEquals(10_000_000L, bw.get("ingressRate").asLong());
        assertEquals(10_000_000L, bw.get("ingressBurst").asLong());
        assertEquals(1L << 20, bw.get("egressRate").asLong());
        assertTrue(RuntimeConfigs.bandwidth(Map.of()).isEmpty());
        BackendException e = assertThrows(BackendException.class,
                () -> RuntimeConfigs.bandwidth(Map.of(RuntimeConfigs.EGRESS_ANNOTATION, "fast")));
        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains(RuntimeConfigs.EGRESS_ANNOTATION));
    }

    @Test
    void capabilityArgsLeaveOutWhatIsEmpty() {
        ObjectNode none = RuntimeConfigs.capabilityArgs(request(List.of(), "", Map.of(), List.of()));
        assertTrue(none.isEmpty());
        ObjectNode unpublished = RuntimeConfigs.capabilityArgs(request(List.of(new PortMapping("tcp", 80, 0, "")), "",
                Map.of(), List.of()));
        assertTrue(unpublished.isEmpty(), "hostPort 0 is no mapping");
        ObjectNode all = RuntimeConfigs.capabilityArgs(request(List.of(new PortMapping("udp", 53, 5353, "127.0.0.1")),
                "10.1.0.0/24", Map.of(RuntimeConfigs.INGRESS_ANNOTATION, "1M"), List.of("1.1.1.1")));
        assertEquals("127.0.0.1", all.at("/portMappings/0/hostIP").asText());
        assertEquals("udp", all.at("/portMappings/0/protocol").asText());
        assertEquals("10.1.0.0/24", all.at("/ipRanges/0/0/subnet").asText());
        assertEquals("1.1.1.1", all.at("/dns/servers/0").asText());
        assertTrue(all.at("/dns/searches").isArray());
        assertEquals(1_000_000L, all.at("/bandwidth/ingressRate").asLong());
        assertFalse(all.get("bandwidth").has("egressRate"));
    }

    @Test
    void pluginGetsOnlyDeclaredTrueCapabilitiesThatHaveValues() {
        ObjectNode args = RuntimeConfigs.capabilityArgs(request(List.of(new PortMapping("tcp", 1, 2, "")), "10.1.0.0/24",
                Map.of(), List.of()));
        ObjectNode plugin = CniConfig.JSON.createObjectNode().put("type", "x");
        plugin.putObject("capabilities").put("portMappings", true).put("ipRanges", false).put("dns", true);
        ObjectNode runtimeConfig = RuntimeConfigs.forPlugin(plugin, args);
        assertTrue(runtimeConfig.has("portMappings"));
        assertFalse(runtimeConfig.has("ipRanges"));
        assertFalse(runtimeConfig.has("dns"));
        assertTrue(RuntimeConfigs.forPlugin(CniConfig.JSON.createObjectNode().put("type", "x"), args).isEmpty());
    }
}
