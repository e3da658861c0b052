package io.crisp.core.stream;

import static java.util.Objects.requireNonNull;

import io.crisp.core.stream.session.StreamTarget;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Single-use tokens for streaming URLs: {@code Exec}, {@code Attach} and {@code PortForward} put
 * the validated request here and hand out {@code /exec/TOKEN}; the client's connection takes it
 * back out, once. A token not used within {@link #TTL} is gone, and at most {@link #MAX_IN_FLIGHT}
 * wait at a time (as the kubelet's streaming server: a burst of unused URLs cannot grow memory).
 * Tokens are 128 random bits, URL-safe base64.
 */
public final class StreamTokens {
    public static final Duration TTL = Duration.ofMinutes(1);
    public static final int MAX_IN_FLIGHT = 1000;

    private record Pending(StreamTarget target, long expiresAtNanos) {}

    private final SecureRandom random = new SecureRandom();
    private final LongSupplier nanoClock;
    private final Duration ttl;
    /** In issue order, so expired entries are at the front. */
    private final Map<String, Pending> pending = new LinkedHashMap<>();

    public StreamTokens() {
        this(System::nanoTime, TTL);
    }

    StreamTokens(LongSupplier nanoClock, Duration ttl) {
        this.nanoClock = requireNonNull(nanoClock, "nanoClock is null");
        this.ttl = requireNonNull(ttl, "ttl is null");
    }

    /** Thrown by {@link #issue} when {@link #MAX_IN_FLIGHT} tokens are waiting. */
    public static final class TooManyInFlight extends RuntimeException {
        TooManyInFlight() {
            super("too many streaming requests in flight (" + MAX_IN_FLIGHT + " URLs not yet used); retry in a minute");
        }
    }

    /** A fresh token for {@code target}. */
    public synchronized String issue(StreamTarget target) {
        requireNonNull(target, "target is null");
        long now = nanoClock.getAsLong();
        dropExpired(now);
        if (pending.size() >= MAX_IN_FLIGHT) {
            throw new TooManyInFlight();
        }
        byte[] bytes = new byte[16];
        String token;
        do {
            random.nextBytes(bytes);
            token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        } while (pending.containsKey(token));
        pending.put(token, new Pending(target, now + ttl.toNanos()));
        return token;
    }

    /**
     * Takes the target of {@code token} out, if it exists, has not expired and is of {@code kind}
     * (a token issued for exec does not open an attach). A token is consumed even when the kind
     * does not match: a guessed or misused URL gives nothing twice.
     */
    public synchronized Optional<StreamTarget> consume(String token, String kind) {
        long now = nanoClock.getAsLong();
        dropExpired(now);
        Pending p = pending.remove(token);
        if (p == null || !p.target().kind().equals(kind)) {
            return Optional.empty();
        }
        return Optional.of(p.target());
    }

    /** Tokens waiting to be used (expired ones not counted). */
    public synchronized int inFlight() {
        dropExpired(nanoClock.getAsLong());
        return pending.size();
    }

    private void dropExpired(long now) {
        Iterator<Pending> it = pending.values().iterator();
        while (it.hasNext()) {
            if (it.next().expiresAtNanos() - now > 0) {
                return;
            }
            it.remove();
        }
    }
}
