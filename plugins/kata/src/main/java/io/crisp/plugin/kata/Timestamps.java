package io.crisp.plugin.kata;

import com.google.protobuf.Timestamp;
import java.time.Instant;

/** Protobuf timestamps from Go shims: an unset time arrives as Go's zero time, year 1. */
final class Timestamps {
    private static final long GO_ZERO_SECONDS = -62135596800L;

    private Timestamps() {}

    /** The instant, or now when the shim sent no time (zero or Go's zero time). */
    static Instant instant(Timestamp t) {
        if (isUnset(t)) {
            return Instant.now();
        }
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }

    static boolean isUnset(Timestamp t) {
        return (t.getSeconds() == 0 && t.getNanos() == 0) || t.getSeconds() <= GO_ZERO_SECONDS;
    }
}
