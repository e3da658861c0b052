package io.crisp.core.network.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CniNetwork against shell-script plugins: no root needed. */
final class CniNetworkFakeTest {
    @TempDir
    Path dir;
    FakePlugins fake;
    Path conf;
    Path cache;
    Path netns;

    @BeforeEach
    void setUp() throws IOException {
        fake = new FakePlugins(dir);
        conf = Files.createDirectories(dir.resolve("net.d"));
        cache = dir.resolve("cache");
        netns = Files.createFile(dir.resolve("netns-file"));
    }

    private PodNetworkRequest request(String id) {
        return new PodNetworkRequest(id, "web", "default", "uid-1", netns,
                List.of(new PortMapping("tcp", 80, 8080, "")), List.of(), List.of(), List.of(), "", Map.of());
    }

    private CniNetwork network() {
        return new CniNetwork(conf, List.of(fake.bin), cache);
    }

    @Test
    void addChainsPrevResultAndDelRunsInReverseWithTheCachedConfig() throws Exception {
        Files.writeString(conf.resolve("10-net.conflist"), FakePlugins.conflist("fakenet", "1.0.0", "ipam", "chain"));
        try (CniNetwork network = network()) {
            assertTrue(network.ready(), network.notReadyMessage());
            assertEquals("fakenet", network.networkName());
            PodNetworkStatus status = network.setUp(request("sb1"));
            assertEquals(new PodNetworkStatus("fakenet", "eth0", "10.99.0.2", List.of("fd99::2")), status);
            assertEquals(List.of("ADD loopback lo " + netns, "ADD ipam eth0 " + netns, "ADD chain eth0 " + netns),
                    fake.callsLoopbackFirst());
            JsonNode chainIn = CniConfig.JSON.readTree(fake.stdin("ADD", "chain", "eth0"));
            assertEquals(CniConfig.JSON.readTree(FakePlugins.IPAM_RESULT), chainIn.get("prevResult"));
            assertEquals("fakenet", chainIn.get("name").asText());
            assertEquals(8080, chainIn.at("/runtimeConfig/portMappings/0/hostPort").asInt());
            assertFalse(CniConfig.JSON.readTree(fake.stdin("ADD", "ipam", "eth0")).has("prevResult"));
            assertTrue(fake.env("ADD", "chain", "eth0").contains("CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=default;"
                    + "K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=sb1;K8S_POD_UID=uid-1"));

            Path file = cache.resolve("sb1.json");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            JsonNode cached = CniConfig.JSON.readTree(file.toFile());
            assertEquals(CniConfig.JSON.readTree(FakePlugins.CHAIN_RESULT), cached.get("result"));
            assertEquals("fakenet", cached.at("/config/name").asText());

            // a config change does not change what DEL runs
            Files.writeString(conf.resolve("05-other.conflist"), FakePlugins.conflist("other", "1.0.0", "ipam"));
            waitFor(() -> "other".equals(network.networkName()));

            network.check("sb1", netns);
            JsonNode checkIn = CniConfig.JSON.readTree(fake.stdin("CHECK", "chain", "eth0"));
            assertEquals(CniConfig.JSON.readTree(FakePlugins.CHAIN_RESULT), checkIn.get("prevResult"));

            fake.clearCalls();
            network.tearDown("sb1", netns);
            // the netns path is a plain file, not a netns: DEL gets an empty CNI_NETNS
            assertEquals(List.of("DEL chain eth0 ", "DEL ipam eth0 "), fake.calls());
            JsonNode delIn = CniConfig.JSON.readTree(fake.stdin("DEL", "ipam", "eth0"));
            assertEquals(CniConfig.JSON.readTree(FakePlugins.CHAIN_RESULT), delIn.get("prevResult"));
            assertFalse(Files.exists(file));

            fake.clearCalls();
            network.tearDown("sb1", netns);
            assertEquals(List.of(), fake.calls());
        }
    }

    @Test
    void failedAddIsRolledBackAndNamesThePlugin() throws Exception {
        Files.writeString(conf.resolve("10-net.conflist"), FakePlugins.conflist("fakenet", "0.4.0", "ipam", "fail", "chain"));
        try (CniNetwork network = network()) {
            BackendException e = assertThrows(BackendException.class, () -> network.setUp(request("sb2")));
            assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
            assertTrue(e.getMessage().contains("CNI plugin fail ADD failed (code 7): bad config: subnet missing; stderr: oops"),
                    e.getMessage());
            assertEquals(List.of("ADD loopback lo " + netns, "ADD ipam eth0 " + netns, "ADD fail eth0 " + netns,
                    "DEL chain eth0 ", "DEL fail eth0 ", "DEL ipam eth0 "), fake.callsLoopbackFirst());
            assertFalse(Files.exists(cache.resolve("sb2.json")));
        }
    }

    @Test
    void aFailedLoopbackAddRollsTheListBackAndIsTheErrorReported() throws Exception {
        Files.writeString(conf.resolve("10-net.conflist"), FakePlugins.conflist("fakenet", "1.0.0", "ipam", "chain"));
        fake.failLoopback();
        try (CniNetwork network = network()) {
            BackendException e = assertThrows(BackendException.class, () -> network.setUp(request("sb5")));
            assertTrue(e.getMessage().contains("CNI plugin loopback ADD failed (code 5): lo stays down"), e.getMessage());
            assertTrue(e.getMessage().contains("setting up CNI network \"fakenet\" for pod default/web (sandbox sb5)"), e.getMessage());
            // the list's ADD ran beside it and is deleted again, in reverse; no cache file stays
            assertEquals(List.of("ADD loopback lo " + netns, "ADD ipam eth0 " + netns, "ADD chain eth0 " + netns,
                    "DEL chain eth0 ", "DEL ipam eth0 "), fake.callsLoopbackFirst());
            assertFalse(Files.exists(cache.resolve("sb5.json")));
        }
    }

    @Test
    void failedDelKeepsTheCacheForARetry() throws Exception {
        Files.writeString(conf.resolve("10-net.conflist"), FakePlugins.conflist("fakenet", "1.0.0", "ipam", "faildel"));
        try (CniNetwork network = network()) {
            network.setUp(request("sb3"));
            BackendException e = assertThrows(BackendException.class, () -> network.tearDown("sb3", null));
            assertEquals(BackendException.Kind.UNAVAILABLE, e.kind());
            assertTrue(e.getMessage().contains("CNI plugin faildel DEL failed (code 11): busy"), e.getMessage());
            assertTrue(Files.exists(cache.resolve("sb3.json")));
            // the rest of the chain was still deleted
            assertTrue(fake.calls().contains("DEL ipam eth0 "), fake.calls().toString());

            // a new setUp of the same sandbox first finishes the old DEL, and fails while that fails
            assertThrows(BackendException.class, () -> network.setUp(request("sb3")));
            Files.writeString(conf.resolve("10-net.conflist"), FakePlugins.conflist("fakenet", "1.0.0", "ipam"));
            Files.writeString(fake.bin.resolve("faildel"), "#!/bin/sh\necho \"$CNI_COMMAND faildel-fixed\" >> " + fake.log.resolve("calls.log") + "\n");
            waitFor(() -> network.pluginTypesForTest().equals(List.of("ipam")));
            fake.clearCalls();
            network.setUp(request("sb3"));
            List<String> calls = fake.calls();
            assertEquals(List.of("DEL faildel-fixed", "DEL ipam eth0 "), calls.subList(0, 2));
            assertEquals(java.util.Set.of("ADD loopback lo " + netns, "ADD ipam eth0 " + netns), java.util.Set.copyOf(calls.subList(2, 4)));
            assertEquals("fakenet", CniConfig.JSON.readTree(cache.resolve("sb3.json").toFile()).at("/config/name").asText());
            assertEquals(1, CniConfig.JSON.readTree(cache.resolve("sb3.json").toFile()).at("/config/plugins").size());
        }
    }

    @Test
    void notReadyNamesTheConfDirOrTheMissingBinaryAndFlipsWhenAConfigArrives() throws Exception {
        try (CniNetwork network = network()) {
            assertFalse(network.ready());
            assertEquals("no valid CNI network config in " + conf, network.notReadyMessage());
            assertEquals("", network.networkName());
            BackendException e = assertThrows(BackendException.class, () -> network.setUp(request("sb4")));
            assertEquals(BackendException.Kind.FAILED_PRECONDITION, e.kind());
            assertTrue(e.getMessage().contains(conf.toString()));

            Files.writeString(conf.resolve("10-net.conflist"), FakePlugins.conflist("fakenet", "1.0.0", "ipam", "nope"));
            waitFor(() -> network.notReadyMessage().contains("\"nope\""));
            assertFalse(network.ready());
            assertEquals("CNI plugin binary \"nope\" not found in [" + fake.bin + "]", network.notReadyMessage());

            Files.writeString(conf.resolve("10-net.conflist"), FakePlugins.conflist("fakenet", "1.0.0", "ipam"));
            waitFor(network::ready);
            assertEquals("fakenet", network.networkName());
        }
    }

    @Test
    void rejectsBadSandboxIds() {
        try (CniNetwork network = network()) {
            for (String id : List.of("", "../x", "a/b", ".hidden", "x".repeat(129))) {
                BackendException e = assertThrows(BackendException.class, () -> network.tearDown(id, null));
                assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
            }
        }
    }

    static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "condition not met within 5 s");
            Thread.sleep(20);
        }
    }
}
