package io.crisp.core.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

final class ProcNetDevTest {
    private static final String TEXT = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:    1480      20    0    0    0     0          0         0     1480      20    0    0    0     0       0          0
              eth0: 18446744073709551615     131    2    0    0     0          0         0    42311     155    5    0    0     0       0          0
            net1:12 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17
            """;

    @Test
    void readsBytesAndErrorsPerInterfaceWithoutLoopback() {
        List<NetworkFigures.Interface> interfaces = ProcNetDev.parse(TEXT);
        assertEquals(List.of(
                // the kernel's counters are unsigned 64-bit: kept as the same bits
                new NetworkFigures.Interface("eth0", -1L, 2, 42311, 5),
                new NetworkFigures.Interface("net1", 12, 4, 10, 12)), interfaces);
    }

    @Test
    void defaultInterfaceIsEth0WhenPresent() {
        NetworkFigures figures = new NetworkFigures(5, ProcNetDev.parse(TEXT));
        assertEquals("eth0", figures.defaultInterface().orElseThrow().name());
        assertEquals(java.util.Optional.empty(), new NetworkFigures(5, List.of(new NetworkFigures.Interface("net1", 1, 0, 1, 0)))
                .defaultInterface());
    }

    @Test
    void headersOnlyMeansNoInterfaces() {
        assertEquals(List.of(), ProcNetDev.parse(TEXT.lines().limit(3).reduce("", (a, b) -> a + b + "\n")));
        assertEquals(List.of(), ProcNetDev.parse(""));
    }

    @Test
    void garbageIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> ProcNetDev.parse("eth0 1 2 3\n"));
        assertThrows(IllegalArgumentException.class, () -> ProcNetDev.parse("eth0: 1 2 3\n"));
        assertThrows(IllegalArgumentException.class, () -> ProcNetDev.parse("eth0: a b c d e f g h i j k l m n o p\n"));
    }
}
