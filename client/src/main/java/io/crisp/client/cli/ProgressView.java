package io.crisp.client.cli;

import io.crisp.admin.v1.Transfer;
import io.crisp.admin.v1.TransferLayer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The text of a transfer's progress as {@code crisp images pull} and {@code import} show it: a block
 * of lines a terminal redraws in place (a header, one line per layer, a total), or single lines for
 * a log. Only what the daemon reported is shown: before the manifest is read, no layers and no total.
 */
final class ProgressView {
    /** A pull with more layers shows only the ones moving, and counts the others. */
    static final int MAX_LAYER_LINES = 10;
    private static final Set<String> MOVING = Set.of("downloading", "unpacking");

    private ProgressView() {}

    /**
     * The block drawn on a terminal, each line at most {@code width - 1} characters (a line as wide as
     * the terminal would wrap and break the redraw):
     * <pre>
     * pull registry.example/app:1
     *   3f4a9b0c1d2e  done           2.0 MiB / 2.0 MiB
     *   8e1f00aa9c3b  downloading    1.1 MiB / 4.0 MiB
     *   total [=====>              ] 3.1 MiB / 6.0 MiB, 1/2 layers, 1.0 MiB/s, 3 s
     * </pre>
     */
    static List<String> block(Transfer t, long nowMillis, int width) {
        List<String> lines = new ArrayList<>();
        lines.add(t.getKind() + " " + t.getName());
        List<TransferLayer> layers = t.getLayersList();
        if (t.getKind().equals("pull") && layers.isEmpty()) {
            lines.add("  resolving the manifest");
        } else if (layers.size() <= MAX_LAYER_LINES) {
            layers.forEach(l -> lines.add(layerLine(l)));
        } else {
            layers.stream().filter(l -> MOVING.contains(l.getState())).limit(MAX_LAYER_LINES).forEach(l -> lines.add(layerLine(l)));
            long done = layers.stream().filter(l -> l.getState().equals("done")).count();
            long present = layers.stream().filter(l -> l.getState().equals("present")).count();
            long waiting = layers.stream().filter(l -> l.getState().equals("waiting")).count();
            lines.add("  " + layers.size() + " layers: " + done + " done, " + present + " already present, " + waiting + " waiting");
        }
        lines.add("  total " + totals(t, nowMillis, true));
        int max = Math.max(20, width - 1);
        return lines.stream().map(l -> l.length() > max ? l.substring(0, max) : l).toList();
    }

    /** {@code   3f4a9b0c1d2e  downloading    1.1 MiB / 4.0 MiB}. */
    static String layerLine(TransferLayer l) {
        String state = l.getState().equals("present") ? "already present" : l.getState();
        String size = l.getBytesTotal() >= 0 ? StatusCommand.bytes(l.getBytesDone()) + " / " + StatusCommand.bytes(l.getBytesTotal())
                : StatusCommand.bytes(l.getBytesDone());
        return String.format(java.util.Locale.ROOT, "  %-12s  %-15s %s", shortDigest(l.getDigest()), state, size);
    }

    /** The 12 first hex digits, as {@code docker pull} shows layers. */
    static String shortDigest(String digest) {
        String hex = digest.substring(digest.indexOf(':') + 1);
        return hex.length() > 12 ? hex.substring(0, 12) : hex;
    }

    /** A log's line: {@code pull NAME: [=====>    ] 12.0 MiB / 40.0 MiB, 1/3 layers, 3.1 MiB/s}. */
    static String line(Transfer t, long nowMillis) {
        return t.getKind() + " " + t.getName() + ": " + totals(t, nowMillis, false);
    }

    /** A log's line when a layer is through: {@code pull NAME: layer 3f4a9b0c1d2e done, 2.0 MiB}. */
    static String layerFinished(Transfer t, TransferLayer l) {
        String what = l.getState().equals("present") ? "already present" : "done";
        return t.getKind() + " " + t.getName() + ": layer " + shortDigest(l.getDigest()) + " " + what + ", "
                + StatusCommand.bytes(Math.max(0, l.getBytesTotal()));
    }

    /** Whether a layer is through: downloaded and unpacked, or found in the store. */
    static boolean finished(TransferLayer l) {
        return l.getState().equals("done") || l.getState().equals("present");
    }

    private static String totals(Transfer t, long nowMillis, boolean elapsed) {
        StringBuilder line = new StringBuilder();
        if (t.getBytesTotal() > 0) {
            int width = 20;
            int filled = (int) Math.min(width, t.getBytesDone() * width / t.getBytesTotal());
            line.append('[').append("=".repeat(filled)).append(filled < width ? ">" : "").append(" ".repeat(Math.max(0, width - filled - 1)))
                    .append("] ").append(StatusCommand.bytes(t.getBytesDone())).append(" / ").append(StatusCommand.bytes(t.getBytesTotal()));
        } else {
            line.append(StatusCommand.bytes(t.getBytesDone()));
        }
        if (t.getLayersTotal() >= 0) {
            line.append(", ").append(t.getLayersDone()).append('/').append(t.getLayersTotal()).append(" layers");
        }
        long millis = Math.max(1, nowMillis - t.getStartedUnixMillis());
        line.append(", ").append(StatusCommand.bytes(t.getBytesDone() * 1000 / millis)).append("/s");
        if (elapsed) {
            line.append(", ").append(millis / 1000).append(" s");
        }
        return line.toString();
    }
}
