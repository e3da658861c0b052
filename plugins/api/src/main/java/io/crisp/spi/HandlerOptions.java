package io.crisp.spi;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a handler's options with types and defaults, then rejects every key that was not read.
 * Errors are {@link BackendException.Kind#INVALID_ARGUMENT} and name the table and the key, so a
 * typo in {@code crisp.toml} stops startup with a message that points at it.
 *
 * <pre>{@code
 * HandlerOptions o = config.reader();
 * Path runtime = o.path("runtime_path", Path.of("/usr/sbin/runc"));
 * boolean systemd = o.bool("systemd_cgroup", false);
 * o.finish();   // throws on any other key
 * }</pre>
 *
 * Not thread-safe; use one instance per parse.
 */
public final class HandlerOptions {
    private final String table;
    private final Map<String, Object> options;
    private final Set<String> read = new LinkedHashSet<>();

    public HandlerOptions(String table, Map<String, Object> options) {
        this.table = requireNonNull(table, "table is null");
        this.options = requireNonNull(options, "options is null");
    }

    public String string(String key, String defaultValue) {
        Object value = take(key);
        if (value == null) {
            return defaultValue;
        }
        if (!(value instanceof String s)) {
            throw wrongType(key, "a string", value);
        }
        return s;
    }

    /** An absolute path. Relative paths are refused: the daemon's working directory is not meaningful. */
    public Path path(String key, Path defaultValue) {
        String value = string(key, null);
        if (value == null) {
            return defaultValue;
        }
        Path path = Path.of(value);
        if (!path.isAbsolute()) {
            throw BackendException.invalidArgument("%s key '%s': expected an absolute path, got \"%s\"", table, key, value);
        }
        return path.normalize();
    }

    public boolean bool(String key, boolean defaultValue) {
        Object value = take(key);
        if (value == null) {
            return defaultValue;
        }
        if (!(value instanceof Boolean b)) {
            throw wrongType(key, "a boolean (true or false)", value);
        }
        return b;
    }

    public long integer(String key, long defaultValue, long min, long max) {
        Object value = take(key);
        if (value == null) {
            return defaultValue;
        }
        if (!(value instanceof Number n) || value instanceof Double || value instanceof Float) {
            throw wrongType(key, "an integer", value);
        }
        long v = n.longValue();
        if (v < min || v > max) {
            throw BackendException.invalidArgument("%s key '%s': %d is out of range [%d, %d]", table, key, v, min, max);
        }
        return v;
    }

    /** A duration in Go/CRI-O style ("30s", "5m", "1h30m", "250ms") or ISO-8601 ("PT30S"). */
    public Duration duration(String key, Duration defaultValue) {
        String value = string(key, null);
        if (value == null) {
            return defaultValue;
        }
        try {
            return Durations.parse(value);
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw BackendException.invalidArgument("%s key '%s': \"%s\" is not a duration (try \"30s\", \"5m\" or \"1h\")", table, key, value);
        }
    }

    public List<String> stringList(String key, List<String> defaultValue) {
        Object value = take(key);
        if (value == null) {
            return defaultValue;
        }
        if (!(value instanceof List<?> list)) {
            throw wrongType(key, "a list of strings", value);
        }
        List<String> result = new ArrayList<>(list.size());
        for (Object item : list) {
            if (!(item instanceof String s)) {
                throw wrongType(key, "a list of strings", value);
            }
            result.add(s);
        }
        return List.copyOf(result);
    }

    /** Fails on the first key of the table that no getter asked for. */
    public void finish() {
        for (String key : options.keySet()) {
            if (!read.contains(key)) {
                throw BackendException.invalidArgument("%s: unknown key '%s' (known keys: %s)", table, key, String.join(", ", read));
            }
        }
    }

    private Object take(String key) {
        read.add(key);
        return options.get(key);
    }

    private BackendException wrongType(String key, String expected, Object value) {
        return BackendException.invalidArgument("%s key '%s': expected %s, got %s %s",
                table, key, expected, describe(value), value);
    }

    private static String describe(Object value) {
        if (value instanceof String) {
            return "a string";
        }
        if (value instanceof Boolean) {
            return "a boolean";
        }
        if (value instanceof Number) {
            return "a number";
        }
        if (value instanceof List) {
            return "a list";
        }
        if (value instanceof Map) {
            return "a table";
        }
        return value.getClass().getSimpleName();
    }
}
