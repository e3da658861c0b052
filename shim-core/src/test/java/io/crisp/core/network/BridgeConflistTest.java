package io.crisp.core.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The packaged default CNI configuration, {@code packaging/cni/10-crisp-bridge.conflist}, is the network crisp expects. */
final class BridgeConflistTest {
    private static final Path CONFLIST = Path.of("../packaging/cni/10-crisp-bridge.conflist");

    @Test
    void isABridgeWithHostLocalIpamAndPortmapOnly() throws Exception {
        JsonNode root = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .readTree(Files.readString(CONFLIST));
        assertEquals("1.0.0", root.path("cniVersion").asText());
        assertEquals("crisp", root.path("name").asText());

        List<String> types = new ArrayList<>();
        root.path("plugins").forEach(plugin -> types.add(plugin.path("type").asText()));
        assertEquals(List.of("bridge", "portmap"), types, "loopback is run by crisp for every pod, not listed here");

        JsonNode bridge = root.path("plugins").get(0);
        assertEquals("crisp0", bridge.path("bridge").asText());
        assertTrue(bridge.path("isGateway").asBoolean(false));
        assertTrue(bridge.path("ipMasq").asBoolean(false));
        assertTrue(bridge.path("hairpinMode").asBoolean(false));
        JsonNode ipam = bridge.path("ipam");
        assertEquals("host-local", ipam.path("type").asText());
        assertEquals("10.87.0.0/16", ipam.path("ranges").path(0).path(0).path("subnet").asText());
        assertEquals("0.0.0.0/0", ipam.path("routes").path(0).path("dst").asText());
        assertEquals("/var/lib/crisp/cni/networks", ipam.path("dataDir").asText());

        JsonNode portmap = root.path("plugins").get(1);
        assertTrue(portmap.path("capabilities").path("portMappings").asBoolean(false));
    }
}
