package io.crisp.core.config;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.Durations;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How long and how many of a handler's backend calls the core lets run: the generic keys
 * {@code call_timeout}, {@code call_concurrency} and {@code call_failures} of every
 * {@code [runtimes.NAME]} table. The core reads them and never passes them to the plugin.
 *
 * <p>{@code call_timeout} is either one duration for every kind of call or a table with one
 * duration per {@link Kind} ({@code call_timeout = { create = "4m", query = "5s" }}); a kind the
 * table leaves out keeps its default. Stop and exec calls get their own grace period (the CRI
 * request's timeout) on top of theirs.
 *
 * @param timeouts the deadline of each kind of call
 * @param concurrency how many calls of the handler may run in the backend at once (its bulkhead)
 * @param failures consecutive timed-out or broken calls after which the handler is not ready
 */
public record CallLimits(Map<Kind, Duration> timeouts, int concurrency, int failures) {
    public static final String CALL_TIMEOUT = "call_timeout";
    public static final String CALL_CONCURRENCY = "call_concurrency";
    public static final String CALL_FAILURES = "call_failures";
    public static final Set<String> KEYS = Set.of(CALL_TIMEOUT, CALL_CONCURRENCY, CALL_FAILURES);
    public static final int DEFAULT_CONCURRENCY = 32;
    public static final int DEFAULT_FAILURES = 3;
    public static final CallLimits DEFAULTS = new CallLimits(defaultTimeouts(), DEFAULT_CONCURRENCY, DEFAULT_FAILURES);

    /** The kinds of backend call, each with its own deadline. */
    public enum Kind {
        /** runSandbox, createContainer, startContainer, and the plugin's create. */
        CREATE(Duration.ofMinutes(2)),
        /** stopSandbox, stopContainer: on top of the stop's own grace period. */
        STOP(Duration.ofSeconds(30)),
        /** removeSandbox, removeContainer, close. */
        REMOVE(Duration.ofMinutes(1)),
        /** health, sandboxState, containerState, containerStats, describe, capabilities, update, reopen log. */
        QUERY(Duration.ofSeconds(10)),
        /** exec and attach (until the process starts), execSync: on top of its own timeout. */
        EXEC(Duration.ofSeconds(30));

        private final Duration defaultTimeout;

        Kind(Duration defaultTimeout) {
            this.defaultTimeout = defaultTimeout;
        }

        public Duration defaultTimeout() {
            return defaultTimeout;
        }

        /** The name in {@code call_timeout = { create = ... }}. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public CallLimits {
        timeouts = Map.copyOf(requireNonNull(timeouts, "timeouts is null"));
        for (Kind kind : Kind.values()) {
            if (!timeouts.containsKey(kind)) {
                throw new IllegalArgumentException("no timeout for " + kind);
            }
        }
        if (concurrency < 1 || failures < 1) {
            throw new IllegalArgumentException("concurrency and failures must be at least 1");
        }
    }

    public Duration timeout(Kind kind) {
        return timeouts.get(kind);
    }

    /** The same limits with {@code kind}'s deadline replaced (tests). */
    public CallLimits withTimeout(Kind kind, Duration timeout) {
        Map<Kind, Duration> next = new EnumMap<>(timeouts);
        next.put(kind, timeout);
        return new CallLimits(next, concurrency, failures);
    }

    private static Map<Kind, Duration> defaultTimeouts() {
        Map<Kind, Duration> map = new EnumMap<>(Kind.class);
        for (Kind kind : Kind.values()) {
            map.put(kind, kind.defaultTimeout());
        }
        return map;
    }

    /**
     * The table's limits; keys it does not set take their defaults.
     *
     * @param origin the table for error messages, as {@link RuntimeTable#origin()}
     * @throws ConfigException naming the table and the key on a wrong type, an unknown kind or a value out of range
     */
    public static CallLimits read(String origin, Map<String, Object> options) {
        Map<Kind, Duration> timeouts = defaultTimeouts();
        Object timeout = options.get(CALL_TIMEOUT);
        if (timeout instanceof String text) {
            Duration all = duration(origin, CALL_TIMEOUT, text);
            timeouts.replaceAll((k, v) -> all);
        } else if (timeout instanceof Map<?, ?> table) {
            for (Map.Entry<?, ?> e : table.entrySet()) {
                String key = String.valueOf(e.getKey());
                Kind kind = null;
                for (Kind k : Kind.values()) {
                    if (k.key().equals(key)) {
                        kind = k;
                    }
                }
                if (kind == null) {
                    throw new ConfigException(origin + " key '" + CALL_TIMEOUT + "." + key + "': unknown kind of call (kinds: create, stop, remove, query, exec)");
                }
                if (!(e.getValue() instanceof String text)) {
                    throw new ConfigException(origin + " key '" + CALL_TIMEOUT + "." + key + "': expected a duration like \"30s\", got " + e.getValue());
                }
                timeouts.put(kind, duration(origin, CALL_TIMEOUT + "." + key, text));
            }
        } else if (timeout != null) {
            throw new ConfigException(origin + " key '" + CALL_TIMEOUT + "': expected a duration like \"30s\" or a table of them"
                    + " (create, stop, remove, query, exec), got " + timeout);
        }
        return new CallLimits(timeouts, count(origin, CALL_CONCURRENCY, options.get(CALL_CONCURRENCY), DEFAULT_CONCURRENCY, 1024),
                count(origin, CALL_FAILURES, options.get(CALL_FAILURES), DEFAULT_FAILURES, 1000));
    }

    private static Duration duration(String origin, String key, String text) {
        Duration d;
        try {
            d = Durations.parse(text);
        } catch (RuntimeException e) {
            throw new ConfigException(origin + " key '" + key + "': expected a duration like \"30s\", got \"" + text + "\"");
        }
        if (d.isZero() || d.isNegative()) {
            throw new ConfigException(origin + " key '" + key + "': must be more than zero, got \"" + text + "\"");
        }
        return d;
    }

    private static int count(String origin, String key, Object value, int fallback, int max) {
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Number n) || value instanceof Double || value instanceof Float || n.longValue() < 1 || n.longValue() > max) {
            throw new ConfigException(origin + " key '" + key + "': expected a whole number from 1 to " + max + ", got " + value);
        }
        return n.intValue();
    }
}
