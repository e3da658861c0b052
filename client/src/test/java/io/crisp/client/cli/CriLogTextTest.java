package io.crisp.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

final class CriLogTextTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private void copy(String log) throws IOException {
        new CriLogText(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))
                .copy(new BufferedReader(new StringReader(log)));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void fullLinesGoToTheirStream() throws IOException {
        copy("""
                2026-11-28T04:11:06.123456789Z stdout F web started
                2026-11-28T04:11:06.223456789Z stderr F warning: something
                2026-11-28T04:11:07.000000000+00:00 stdout F hello from crisp
                """);
        assertEquals("web started\nhello from crisp\n", out());
        assertEquals("warning: something\n", err());
    }

    @Test
    void partialLinesAreJoinedPerStream() throws IOException {
        copy("""
                2026-11-28T04:11:06Z stdout P hel
                2026-11-28T04:11:06Z stderr P err-
                2026-11-28T04:11:06Z stdout P lo\s
                2026-11-28T04:11:06Z stderr F part
                2026-11-28T04:11:06Z stdout F world
                """);
        assertEquals("hello world\n", out());
        assertEquals("err-part\n", err());
    }

    @Test
    void textKeepsItsSpacesAndEmptyLinesStay() throws IOException {
        copy("t stdout F   indented  text \nt stdout F \nt stdout F\nt stdout F:x tagged\n");
        assertEquals("  indented  text \n\n\ntagged\n", out());
    }

    @Test
    void malformedLinesPassThroughToStdout() throws IOException {
        copy("""
                plain text without format
                2026-11-28T04:11:06Z stdout P part
                2026-11-28T04:11:06Z console F odd stream
                2026-11-28T04:11:06Z stdout X odd tag
                2026-11-28T04:11:06Z stdout F ial

                nospace
                """);
        assertEquals("plain text without format\n2026-11-28T04:11:06Z console F odd stream\n2026-11-28T04:11:06Z stdout X odd tag\n"
                + "partial\n\nnospace\n", out());
        assertEquals("", err());
    }

    @Test
    void anUnfinishedPartialLineIsWrittenAtTheEnd() throws IOException {
        copy("t stdout F done\nt stdout P still writ\nt stderr P and\n");
        assertEquals("done\nstill writ", out());
        assertEquals("and", err());
    }
}
