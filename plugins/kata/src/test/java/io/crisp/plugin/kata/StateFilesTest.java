package io.crisp.plugin.kata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.BackendException;
import org.junit.jupiter.api.Test;

class StateFilesTest {
    @Test
    void anUnusableIdIsTheCallersMistakeNamedInTheMessage() {
        for (String bad : new String[] {"", "../escape", "a/b", "x".repeat(129), "spaced id"}) {
            BackendException e = assertThrows(BackendException.class, () -> StateFiles.checkId(bad), bad);
            assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind(), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        assertEquals("pod-1_a", StateFiles.checkId("pod-1_a"));
    }
}
