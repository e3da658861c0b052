package io.crisp.client.cli;

import io.crisp.admin.v1.ListTransfersRequest;
import io.crisp.admin.v1.Transfer;
import io.crisp.admin.v1.TransferLayer;
import io.crisp.cri.client.CriClient;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Shows how far a pull or import has come while its own call runs: the CRI's PullImage and the
 * admin ImportImages are unary, so this polls the daemon's ListTransfers (bytes and layers counted
 * where they really pass in the daemon) and prints it to stderr. On a terminal a block is redrawn in
 * place (each layer's bytes and state, then the total with rate and elapsed time; {@link ProgressView});
 * otherwise a line per layer that is through and a total line every interval while bytes arrive, so a
 * CI log gets no repeated lines. Nothing is shown that the daemon did not report.
 */
final class TransferProgress implements AutoCloseable {
    /** How progress is shown. */
    enum Mode {
        /** bar on a terminal, lines otherwise */
        auto,
        /** a block redrawn in place */
        bar,
        /** a line every interval */
        lines,
        /** nothing */
        none
    }

    private static final Duration BAR_PERIOD = Duration.ofMillis(250);
    /** How often lines mode looks, to tell of each layer soon after it is through. */
    private static final Duration LINES_POLL = Duration.ofMillis(500);

    private final CriClient cri;
    private final Predicate<Transfer> mine;
    private final boolean bar;
    private final Duration interval;
    private final int width;
    private final PrintStream out;
    private final Thread thread;
    private final Set<String> toldFinished = new HashSet<>();
    private volatile boolean done;
    private int drawnLines;
    private long lastLineMillis;
    private long lastLineBytes = -1;

    private TransferProgress(CriClient cri, Predicate<Transfer> mine, boolean bar, Duration interval, int width, PrintStream out) {
        this.cri = cri;
        this.mine = mine;
        this.bar = bar;
        this.interval = interval;
        this.width = width;
        this.out = out;
        this.thread = new Thread(this::poll, "crisp-progress");
        this.thread.setDaemon(true);
    }

    /** Starts showing the transfer {@code mine} selects; a no-op for {@link Mode#none}. */
    static TransferProgress start(CriClient cri, Predicate<Transfer> mine, Mode mode, Duration interval, PrintStream out) {
        boolean bar = mode == Mode.bar || (mode == Mode.auto && onTerminal());
        TransferProgress progress = new TransferProgress(cri, mine, bar, interval, bar ? terminalWidth() : 80, out);
        if (mode != Mode.none) {
            progress.thread.start();
        }
        return progress;
    }

    /** Whether stderr, where progress goes, is a terminal that takes cursor movement (a console, not TERM=dumb). */
    static boolean onTerminal() {
        if (System.console() == null || "dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * The terminal's width: {@code $COLUMNS} when the shell exports it, else what {@code stty size}
     * says of {@code /dev/tty}, else 80. Lines are cut to fit, never wrapped (a wrapped line would
     * break the redraw).
     */
    static int terminalWidth() {
        Integer columns = columns(System.getenv("COLUMNS"));
        if (columns == null && Files.isReadable(Path.of("/dev/tty"))) {
            try {
                Process stty = new ProcessBuilder("stty", "size").redirectInput(new java.io.File("/dev/tty"))
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                String size = new String(stty.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim();
                if (stty.waitFor() == 0 && size.indexOf(' ') > 0) {
                    columns = columns(size.substring(size.indexOf(' ') + 1));
                }
            } catch (IOException e) {
                // no stty: the default
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return columns != null ? columns : 80;
    }

    private static Integer columns(String text) {
        try {
            int columns = text == null ? 0 : Integer.parseInt(text.trim());
            return columns >= 20 ? columns : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The transfer of a pull of {@code image} as the user typed it; the daemon lists it normalized. */
    static Predicate<Transfer> pullOf(String image) {
        return t -> t.getKind().equals("pull") && (t.getName().equals(image) || t.getName().endsWith("/" + image)
                || t.getName().equals(image + ":latest") || t.getName().endsWith("/" + image + ":latest"));
    }

    static Predicate<Transfer> importOf(String path) {
        return t -> t.getKind().equals("import") && t.getName().equals(path);
    }

    private void poll() {
        Duration period = bar ? BAR_PERIOD : (interval.compareTo(LINES_POLL) < 0 ? interval : LINES_POLL);
        try {
            while (!done) {
                Thread.sleep(period.toMillis());
                if (done) {
                    break;
                }
                Optional<Transfer> transfer;
                try {
                    transfer = cri.admin().listTransfers(ListTransfersRequest.getDefaultInstance()).getTransfersList().stream()
                            .filter(mine).findFirst();
                } catch (RuntimeException e) {
                    return; // a daemon without ListTransfers, or going away: the call itself reports
                }
                transfer.ifPresent(t -> show(t, System.currentTimeMillis()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void show(Transfer t, long nowMillis) {
        if (done) {
            return;
        }
        if (bar) {
            out.print(redraw(ProgressView.block(t, nowMillis, width)));
        } else {
            for (TransferLayer layer : t.getLayersList()) {
                if (ProgressView.finished(layer) && toldFinished.add(layer.getDigest())) {
                    out.println(ProgressView.layerFinished(t, layer));
                }
            }
            if (nowMillis - lastLineMillis >= interval.toMillis() && t.getBytesDone() != lastLineBytes) {
                out.println(ProgressView.line(t, nowMillis));
                lastLineMillis = nowMillis;
                lastLineBytes = t.getBytesDone();
            }
        }
        out.flush();
    }

    /** Moves up over the block drawn last (ESC [ n F: start of the line n up), then writes each line and clears its rest. */
    private String redraw(List<String> lines) {
        StringBuilder text = new StringBuilder();
        if (drawnLines > 0) {
            text.append("\033[").append(drawnLines).append('F');
        }
        for (String line : lines) {
            text.append(line).append("\033[K\n");
        }
        if (lines.size() < drawnLines) {
            text.append("\033[J"); // a shorter block than before: clear what is left below
        }
        drawnLines = lines.size();
        return text.toString();
    }

    /** Stops polling and clears the block, before the command prints its result. */
    @Override
    public void close() {
        done = true;
        thread.interrupt();
        synchronized (this) {
            if (drawnLines > 0) {
                out.print("\033[" + drawnLines + "F\033[J");
                out.flush();
                drawnLines = 0;
            }
        }
    }
}
