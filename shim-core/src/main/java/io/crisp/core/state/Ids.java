package io.crisp.core.state;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;

/** Object ids and CRI timestamps. */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {}

    /** A new 64-hex-digit id, the shape the kubelet and crictl expect from other runtimes. */
    public static String random() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Nanoseconds since the epoch, as CRI timestamps are. */
    public static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    public static long nowNanos() {
        return nanos(Instant.now());
    }
}
