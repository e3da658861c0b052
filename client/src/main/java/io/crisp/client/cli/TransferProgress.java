package io.crisp.client.cli;

import io.crisp.admin.v1.ListTransfersRequest;
import io.crisp.admin.v1.Transfer;
import io.crisp.cri.client.CriClient;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Shows how far a pull or import has come while its own call runs: the CRI's PullImage and the
 * admin ImportImages are unary, so this polls the daemon's ListTransfers (bytes and layers counted
 * where they really pass in the daemon) and prints it to stderr: one line redrawn in place on a
 * terminal (a bar, bytes, layers, rate), a plain line every few seconds otherwise. Nothing is
 * shown that the daemon did not report.
 */
final class TransferProgress implements AutoCloseable {
    /** How progress is shown. */
    enum Mode {
        /** bar on a terminal, lines otherwise */
        auto,
        /** one line redrawn in place */
        bar,
        /** a line every interval */
        lines,
        /** nothing */
        none
    }

    private static final Duration BAR_PERIOD = Duration.ofMillis(250);

    private final CriClient cri;
    private final Predicate<Transfer> mine;
    private final boolean bar;
    private final Duration period;
    private final PrintStream out;
    private final Thread thread;
    private volatile boolean done;
    private boolean drawn;

    private TransferProgress(CriClient cri, Predicate<Transfer> mine, boolean bar, Duration period, PrintStream out) {
        this.cri = cri;
        this.mine = mine;
        this.bar = bar;
        this.period = period;
        this.out = out;
        this.thread = new Thread(this::poll, "crisp-progress");
        this.thread.setDaemon(true);
    }

    /** Starts showing the transfer {@code mine} selects; a no-op for {@link Mode#none}. */
    static TransferProgress start(CriClient cri, Predicate<Transfer> mine, Mode mode, Duration interval, PrintStream out) {
        boolean bar = mode == Mode.bar || (mode == Mode.auto && System.console() != null);
        TransferProgress progress = new TransferProgress(cri, mine, bar, bar ? BAR_PERIOD : interval, out);
        if (mode != Mode.none) {
            progress.thread.start();
        }
        return progress;
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
                transfer.ifPresent(t -> show(describe(t, System.currentTimeMillis())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void show(String line) {
        if (done) {
            return;
        }
        if (bar) {
            out.print("\r" + line + "\033[K");
            drawn = true;
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** {@code pull NAME: [=====>    ] 12.0 MiB / 40.0 MiB, 1/3 layers, 3.1 MiB/s}; the bar only with a known total. */
    static String describe(Transfer t, long nowMillis) {
        StringBuilder line = new StringBuilder(t.getKind()).append(' ').append(t.getName()).append(": ");
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
        double seconds = Math.max(0.001, (nowMillis - t.getStartedUnixMillis()) / 1000.0);
        line.append(", ").append(StatusCommand.bytes((long) (t.getBytesDone() / seconds))).append("/s");
        return line.toString();
    }

    /** Stops polling and clears the bar, before the command prints its result. */
    @Override
    public void close() {
        done = true;
        thread.interrupt();
        synchronized (this) {
            if (drawn) {
                out.print("\r\033[K");
                out.flush();
            }
        }
    }

}
