package io.crisp.core.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.crisp.spi.BackendException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

final class NodeStateTest {
    private static final String STORED = "10.244.0.0/16";

    @Test
    void emptyUntilTheKubeletSendsOne() {
        assertEquals("", new NodeState().podCidr());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "10.244.0.0/16",
            "0.0.0.0/0",
            "192.168.1.1/32",
            "255.255.255.255/32",
            "fd00:10:244::/56",
            "::/0",
            "2001:db8::1/128",
            "::ffff:10.0.0.0/104",
            "10.244.0.0/16,fd00:10:244::/56",
            "fd00:10:244::/56, 10.244.0.0/16"})
    void validCidrIsStored(String cidr) {
        NodeState state = new NodeState();
        state.updatePodCidr(cidr);
        assertEquals(cidr, state.podCidr());
    }

    @Test
    void laterUpdateReplaces() {
        NodeState state = new NodeState();
        state.updatePodCidr(STORED);
        state.updatePodCidr("10.245.0.0/16,fd00::/64");
        assertEquals("10.245.0.0/16,fd00::/64", state.podCidr());
    }

    @Test
    void emptyIsIgnoredAndKeepsPrevious() {
        NodeState state = new NodeState();
        state.updatePodCidr("");
        assertEquals("", state.podCidr());
        state.updatePodCidr(STORED);
        state.updatePodCidr("");
        assertEquals(STORED, state.podCidr());
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0", "10.0.0.0/33", "300.1.1.1/24", "fd00::/129", "abc/8", "10.0.0/8", "10.0.0.0/", "/8",
            "10.0.0.0/8/8", "10.0.0.0/-1", "fd00:::1:/64", " ", "10.0.0.0 /8"})
    void invalidCidrIsRefusedNamingTheField(String cidr) {
        NodeState state = new NodeState();
        state.updatePodCidr(STORED);

        BackendException e = assertThrows(BackendException.class, () -> state.updatePodCidr(cidr));

        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertEquals("runtime_config.network_config.pod_cidr: \"" + cidr.trim() + "\" is not a CIDR (e.g. 10.244.0.0/24)", e.getMessage());
        assertEquals(STORED, state.podCidr(), "a refused value does not replace the stored one");
    }

    @Test
    void dualStackWithOneInvalidRangeIsRefusedNamingThatRange() {
        NodeState state = new NodeState();
        state.updatePodCidr(STORED);

        BackendException e = assertThrows(BackendException.class, () -> state.updatePodCidr("10.245.0.0/16, fd00::/129"));

        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertEquals("runtime_config.network_config.pod_cidr: \"fd00::/129\" is not a CIDR (e.g. 10.244.0.0/24)", e.getMessage());
        assertEquals(STORED, state.podCidr());
    }

    @Test
    void emptyRangeBetweenCommasIsRefused() {
        NodeState state = new NodeState();
        BackendException e = assertThrows(BackendException.class, () -> state.updatePodCidr("10.244.0.0/16,,fd00::/64"));
        assertEquals("runtime_config.network_config.pod_cidr: \"\" is not a CIDR (e.g. 10.244.0.0/24)", e.getMessage());
        assertEquals("", state.podCidr());
    }
}
