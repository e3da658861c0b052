package io.crisp.plugin.nspawn;

import io.crisp.spi.BackendException;
import java.util.Collection;

/**
 * Bash variable assignments, the launch file's format: {@code NAME='value'} and
 * {@code NAME=('a' 'b')}, every value single-quoted so that bash takes it literally when it sources
 * the file. A value with a NUL byte cannot be passed to a program and is refused.
 */
final class ShellAssignments {
    private final StringBuilder text = new StringBuilder("# written by crisp's nspawn plugin; sourced by nspawn-oci\n");

    ShellAssignments scalar(String name, String value) {
        text.append(name).append('=').append(quote(name, value)).append('\n');
        return this;
    }

    ShellAssignments scalar(String name, long value) {
        return scalar(name, Long.toString(value));
    }

    ShellAssignments flag(String name, boolean value) {
        return scalar(name, value ? "1" : "0");
    }

    ShellAssignments array(String name, Collection<String> values) {
        text.append(name).append("=(");
        boolean first = true;
        for (String v : values) {
            if (!first) {
                text.append(' ');
            }
            text.append(quote(name, v));
            first = false;
        }
        text.append(")\n");
        return this;
    }

    String text() {
        return text.toString();
    }

    /** {@code 'it'\''s'}: inside single quotes bash interprets nothing; a quote closes, escapes, reopens. */
    static String quote(String name, String value) {
        if (value.indexOf('\0') >= 0) {
            throw BackendException.invalidArgument("%s: a value contains a NUL byte, which no program can receive", name);
        }
        return "'" + value.replace("'", "'\\''") + "'";
    }
}
