package io.crisp.core.network.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class CniConfigTest {
    @TempDir
    Path dir;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void parsesAListAndWrapsASingleConf() {
        CniConfig list = CniConfig.parseList(bytes("""
                {"cniVersion":"1.0.0","name":"net","plugins":[{"type":"bridge"},{"type":"portmap"}]}"""));
        assertEquals("net", list.name());
        assertEquals(List.of("bridge", "portmap"), list.pluginTypes());
        assertTrue(list.supportsCheck());

        CniConfig single = CniConfig.parseSingle(bytes("""
                {"cniVersion":"0.3.1","name":"one","type":"bridge","bridge":"cni0"}"""));
        assertEquals("one", single.name());
        assertEquals("0.3.1", single.cniVersion());
        assertEquals(List.of("bridge"), single.pluginTypes());
        assertFalse(single.supportsCheck());
    }

    @Test
    void rejectsWithAReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CniConfig.parseList(bytes("{nope")))
                .getMessage().startsWith("invalid JSON"));
        assertEquals("no \"name\"", assertThrows(IllegalArgumentException.class,
                () -> CniConfig.parseList(bytes("{\"cniVersion\":\"1.0.0\",\"plugins\":[{\"type\":\"x\"}]}"))).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CniConfig.parseList(
                bytes("{\"name\":\"n\",\"cniVersion\":\"0.2.0\",\"plugins\":[{\"type\":\"x\"}]}"))).getMessage()
                .contains("unsupported cniVersion \"0.2.0\""));
        assertEquals("no plugins", assertThrows(IllegalArgumentException.class,
                () -> CniConfig.parseList(bytes("{\"name\":\"n\",\"cniVersion\":\"1.0.0\",\"plugins\":[]}"))).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CniConfig.parseList(
                bytes("{\"name\":\"n\",\"cniVersion\":\"1.0.0\",\"plugins\":[{\"type\":\"../bin/sh\"}]}"))).getMessage()
                .contains("invalid or missing \"type\""));
        assertThrows(IllegalArgumentException.class, () -> CniConfig.parseSingle(bytes("{\"name\":\"n\",\"cniVersion\":\"1.0.0\"}")));
    }

    @Test
    void loaderTakesTheFirstValidFileInLexicalOrder() throws IOException {
        Files.writeString(dir.resolve("00-broken.conflist"), "{not json");
        Files.writeString(dir.resolve("05-noname.conflist"), "{\"cniVersion\":\"1.0.0\",\"plugins\":[{\"type\":\"a\"}]}");
        Files.writeString(dir.resolve("10-oldversion.conf"), "{\"cniVersion\":\"0.1.0\",\"name\":\"old\",\"type\":\"a\"}");
        Files.writeString(dir.resolve("15-empty.conflist"), "{\"cniVersion\":\"1.0.0\",\"name\":\"e\",\"plugins\":[]}");
        Files.writeString(dir.resolve("20-ignored.txt"), "{\"cniVersion\":\"1.0.0\",\"name\":\"txt\",\"type\":\"a\"}");
        Files.writeString(dir.resolve("30-good.json"), "{\"cniVersion\":\"0.4.0\",\"name\":\"good\",\"type\":\"bridge\"}");
        Files.writeString(dir.resolve("40-later.conflist"), "{\"cniVersion\":\"1.0.0\",\"name\":\"later\",\"plugins\":[{\"type\":\"a\"}]}");
        Optional<CniConfig> loaded = CniConfigLoader.load(dir);
        assertEquals("good", loaded.orElseThrow().name());

        assertTrue(CniConfigLoader.load(dir.resolve("missing")).isEmpty());
    }

    @Test
    void pluginInputInjectsNameVersionPrevResultAndDeclaredCapabilitiesOnly() {
        CniConfig list = CniConfig.parseList(bytes("""
                {"cniVersion":"1.0.0","name":"net","plugins":[
                  {"type":"bridge","cniVersion":"0.3.1","capabilities":{"ips":true}},
                  {"type":"portmap","capabilities":{"portMappings":true,"bandwidth":false}}]}"""));
        PodNetworkRequest request = new PodNetworkRequest("abc", "p", "ns", "uid", Path.of("/x"),
                List.of(new PortMapping("TCP", 80, 8080, "")), List.of("10.0.0.10"), List.of("svc"), List.of("ndots:5"),
                "10.9.0.0/24", java.util.Map.of(RuntimeConfigs.INGRESS_ANNOTATION, "1M"));
        ObjectNode args = RuntimeConfigs.capabilityArgs(request);

        ObjectNode first = list.pluginInput(0, args, null);
        assertEquals("net", first.get("name").asText());
        assertEquals("1.0.0", first.get("cniVersion").asText());
        assertFalse(first.has("runtimeConfig"));
        assertFalse(first.has("prevResult"));

        JsonNode prev = CniConfig.JSON.createObjectNode().put("cniVersion", "1.0.0");
        ObjectNode second = list.pluginInput(1, args, prev);
        assertEquals(prev, second.get("prevResult"));
        JsonNode runtimeConfig = second.get("runtimeConfig");
        assertEquals(List.of("portMappings"), iterable(runtimeConfig.fieldNames()));
        JsonNode port = runtimeConfig.get("portMappings").get(0);
        assertEquals(8080, port.get("hostPort").asInt());
        assertEquals(80, port.get("containerPort").asInt());
        assertEquals("tcp", port.get("protocol").asText());
        assertFalse(port.has("hostIP"));
        // the list config itself is untouched
        assertFalse(list.plugins().get(1).has("runtimeConfig"));
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
