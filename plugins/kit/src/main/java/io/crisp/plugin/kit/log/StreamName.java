package io.crisp.plugin.kit.log;

import java.nio.charset.StandardCharsets;

/** A process's output stream, as the CRI log format names it. */
public enum StreamName {
    STDOUT("stdout"),
    STDERR("stderr");

    private final byte[] word;

    StreamName(String word) {
        this.word = word.getBytes(StandardCharsets.US_ASCII);
    }

    /** The stream's word in a log record, "stdout" or "stderr". */
    byte[] word() {
        return word.clone();
    }
}
