package io.crisp.client.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;

/**
 * The text of a CRI container log: each line of the file is
 * {@code <RFC 3339 time> <stdout|stderr> <P|F>[:more tags] <text>}, {@code P} a partial line the
 * next line of the same stream continues, {@code F} its end. Writes the text of stdout lines to
 * one stream and of stderr lines to the other, partial lines joined; a line not in that format is
 * passed through to stdout as it is.
 */
final class CriLogText {
    private final PrintStream out;
    private final PrintStream err;
    private final StringBuilder partialOut = new StringBuilder();
    private final StringBuilder partialErr = new StringBuilder();

    CriLogText(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Copies a whole log file's lines, then {@link #finish}. */
    void copy(BufferedReader lines) throws IOException {
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            accept(line);
        }
        finish();
    }

    void accept(String line) {
        int timeEnd = line.indexOf(' ');
        int streamEnd = timeEnd < 0 ? -1 : line.indexOf(' ', timeEnd + 1);
        if (timeEnd <= 0 || streamEnd < 0) {
            malformed(line);
            return;
        }
        String stream = line.substring(timeEnd + 1, streamEnd);
        int tagsEnd = line.indexOf(' ', streamEnd + 1);
        String tags = tagsEnd < 0 ? line.substring(streamEnd + 1) : line.substring(streamEnd + 1, tagsEnd);
        String text = tagsEnd < 0 ? "" : line.substring(tagsEnd + 1);
        String tag = tags.split(":", 2)[0];
        boolean stdout = stream.equals("stdout");
        if (!(stdout || stream.equals("stderr")) || !(tag.equals("P") || tag.equals("F"))) {
            malformed(line);
            return;
        }
        StringBuilder partial = stdout ? partialOut : partialErr;
        if (tag.equals("P")) {
            partial.append(text);
            return;
        }
        PrintStream target = stdout ? out : err;
        target.print(partial);
        target.print(text);
        target.print('\n');
        partial.setLength(0);
    }

    /** Writes what partial lines the log ended with (a container still writing, or killed mid-line). */
    void finish() {
        if (partialOut.length() > 0) {
            out.print(partialOut);
            partialOut.setLength(0);
        }
        if (partialErr.length() > 0) {
            err.print(partialErr);
            partialErr.setLength(0);
        }
        out.flush();
        err.flush();
    }

    private void malformed(String line) {
        out.print(line);
        out.print('\n');
    }
}
