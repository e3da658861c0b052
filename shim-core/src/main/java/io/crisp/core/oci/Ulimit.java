package io.crisp.core.oci;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One resource limit a handler gives every container's process ({@code default_ulimits}), written
 * as CRI-O and Docker write it: {@code NAME=SOFT[:HARD]}, e.g. {@code nofile=1024:524288}; without
 * a hard limit both are SOFT; {@code -1} or {@code unlimited} is RLIM_INFINITY. It becomes an OCI
 * {@code process.rlimits} entry {@code {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 524288}},
 * which the runtime sets before it starts the process.
 *
 * @param name the lower-case name (nofile, nproc, ...)
 * @param soft the soft limit; -1 is infinity
 * @param hard the hard limit; -1 is infinity
 */
public record Ulimit(String name, long soft, long hard) {
    /** The names Docker's and CRI-O's parser (go-units) accept, each the Linux RLIMIT_ of its upper case. */
    public static final Set<String> NAMES = Set.of("as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue",
            "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack");
    private static final BigInteger INFINITY = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    /**
     * {@code NAME=SOFT[:HARD]}.
     *
     * @throws IllegalArgumentException saying what is wrong with {@code text}
     */
    public static Ulimit parse(String text) {
        int eq = text.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("\"" + text + "\" is not NAME=SOFT[:HARD] (like \"nofile=1024:524288\")");
        }
        String name = text.substring(0, eq).trim().toLowerCase(Locale.ROOT);
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("\"" + text + "\": unknown limit '" + name + "' (known: "
                    + String.join(", ", NAMES.stream().sorted().toList()) + ")");
        }
        String[] values = text.substring(eq + 1).split(":", -1);
        if (values.length > 2) {
            throw new IllegalArgumentException("\"" + text + "\" is not NAME=SOFT[:HARD] (like \"nofile=1024:524288\")");
        }
        long soft = value(text, values[0]);
        long hard = values.length == 2 ? value(text, values[1]) : soft;
        if (hard != -1 && (soft == -1 || soft > hard)) {
            throw new IllegalArgumentException("\"" + text + "\": the soft limit is above the hard limit");
        }
        return new Ulimit(name, soft, hard);
    }

    /** Each of {@code texts} parsed; a later entry for the same name replaces an earlier one. */
    public static List<Ulimit> parseAll(List<String> texts) {
        List<Ulimit> out = new ArrayList<>();
        for (String text : texts) {
            Ulimit u = parse(text);
            out.removeIf(other -> other.name.equals(u.name));
            out.add(u);
        }
        return List.copyOf(out);
    }

    private static long value(String text, String value) {
        String v = value.trim();
        if (v.equals("-1") || v.equalsIgnoreCase("unlimited")) {
            return -1;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + text + "\": '" + value + "' is not a limit (a number, -1 or unlimited)");
        }
    }

    /**
     * This process's hard RLIMIT_NOFILE, from {@code /proc/self/limits} ("Max open files"); what
     * runc, started by the daemon, can give a container without CAP_SYS_RESOURCE. Long.MAX_VALUE
     * when unlimited or unreadable.
     */
    public static long ownHardNofile() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String hard = line.substring("Max open files".length()).trim().split("\\s+")[1];
                    return hard.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(hard);
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // Not Linux, or an unexpected layout: no lowering.
        }
        return Long.MAX_VALUE;
    }

    /** The OCI rlimit type, {@code RLIMIT_NOFILE}. */
    public String type() {
        return "RLIMIT_" + name.toUpperCase(Locale.ROOT);
    }

    /** Writes the limits into {@code process.rlimits}, replacing an entry of the same type the spec had. */
    static void apply(ObjectNode spec, List<Ulimit> limits) {
        if (limits.isEmpty() || !(spec.get("process") instanceof ObjectNode process)) {
            return;
        }
        ArrayNode rlimits = process.get("rlimits") instanceof ArrayNode a ? a : process.putArray("rlimits");
        for (Ulimit u : limits) {
            for (int i = rlimits.size() - 1; i >= 0; i--) {
                if (u.type().equals(rlimits.get(i).path("type").asText())) {
                    rlimits.remove(i);
                }
            }
            ObjectNode entry = rlimits.addObject().put("type", u.type());
            put(entry, "hard", u.hard);
            put(entry, "soft", u.soft);
        }
    }

    private static void put(ObjectNode entry, String field, long value) {
        if (value == -1) {
            entry.put(field, INFINITY);
        } else {
            entry.put(field, value);
        }
    }

    @Override
    public String toString() {
        return name + "=" + (soft == -1 ? "unlimited" : soft) + ":" + (hard == -1 ? "unlimited" : hard);
    }
}
