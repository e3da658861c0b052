package io.crisp.core.stats;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the text of {@code /proc/net/dev}: two header lines, then per interface
 * {@code name: rx_bytes rx_packets rx_errs rx_drop rx_fifo rx_frame rx_compressed rx_multicast
 * tx_bytes tx_packets tx_errs ...}. The loopback interface is left out, as the kubelet does.
 */
public final class ProcNetDev {
    private static final int RX_BYTES = 0;
    private static final int RX_ERRORS = 2;
    private static final int TX_BYTES = 8;
    private static final int TX_ERRORS = 10;

    private ProcNetDev() {}

    /**
     * @throws IllegalArgumentException on a line that is not an interface's counters
     */
    public static List<NetworkFigures.Interface> parse(String text) {
        List<NetworkFigures.Interface> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (line.isBlank() || line.contains("|")) {
                continue; // the two header lines use '|' between their column groups
            }
            if (colon < 0) {
                throw new IllegalArgumentException("not a /proc/net/dev line: \"" + line + "\"");
            }
            String name = line.substring(0, colon).trim();
            String[] fields = line.substring(colon + 1).trim().split("\\s+");
            if (name.isEmpty() || fields.length < TX_ERRORS + 1) {
                throw new IllegalArgumentException("not a /proc/net/dev line: \"" + line + "\"");
            }
            if (name.equals("lo")) {
                continue;
            }
            try {
                out.add(new NetworkFigures.Interface(name, Long.parseUnsignedLong(fields[RX_BYTES]), Long.parseUnsignedLong(fields[RX_ERRORS]),
                        Long.parseUnsignedLong(fields[TX_BYTES]), Long.parseUnsignedLong(fields[TX_ERRORS])));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a /proc/net/dev line: \"" + line + "\"", e);
            }
        }
        return out;
    }
}
