package io.crisp.core.network.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

final class CniResultTest {
    private static JsonNode json(String s) throws Exception {
        return CniConfig.JSON.readTree(s);
    }

    @Test
    void version031WithHostAndContainerInterfaces() throws Exception {
        PodNetworkStatus status = CniResult.status("net", "eth0", json("""
                {"cniVersion":"0.3.1",
                 "interfaces":[{"name":"cni0","mac":"aa"},{"name":"veth1","mac":"bb"},
                               {"name":"eth0","mac":"cc","sandbox":"/var/run/netns/x"}],
                 "ips":[{"version":"4","interface":0,"address":"10.1.0.1/24"},
                        {"version":"6","interface":2,"address":"fd00::5/64","gateway":"fd00::1"},
                        {"version":"4","interface":2,"address":"10.1.0.5/24","gateway":"10.1.0.1"}]}"""));
        assertEquals(new PodNetworkStatus("net", "eth0", "10.1.0.5", List.of("fd00::5")), status);
    }

    @Test
    void version040WithoutInterfaceIndexes() throws Exception {
        PodNetworkStatus status = CniResult.status("net", "eth0", json("""
                {"cniVersion":"0.4.0","ips":[{"version":"6","address":"fd00::7/64"},
                 {"version":"4","address":"10.2.0.7/16"},{"version":"4","address":"10.3.0.7/16"}]}"""));
        assertEquals("10.2.0.7", status.ip());
        assertEquals(List.of("fd00::7", "10.3.0.7"), status.additionalIps());
    }

    @Test
    void version100IPv6Only() throws Exception {
        PodNetworkStatus status = CniResult.status("net", "eth0", json("""
                {"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/proc/1/ns/net"}],
                 "ips":[{"interface":0,"address":"2001:db8::2/64"},{"interface":0,"address":"2001:db8::3/64"}]}"""));
        assertEquals("2001:db8::2", status.ip());
        assertEquals(List.of("2001:db8::3"), status.additionalIps());
    }

    @Test
    void version020AndEmpty() throws Exception {
        PodNetworkStatus old = CniResult.status("net", "eth0", json("""
                {"cniVersion":"0.2.0","ip4":{"ip":"10.4.0.2/24"},"ip6":{"ip":"fd01::2/64"}}"""));
        assertEquals("10.4.0.2", old.ip());
        assertEquals(List.of("fd01::2"), old.additionalIps());
        assertEquals("", CniResult.status("net", "eth0", json("{\"cniVersion\":\"1.0.0\"}")).ip());
        assertEquals("", CniResult.status("net", "eth0", null).ip());
    }
}
