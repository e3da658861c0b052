package io.crisp.core.oci;

import java.util.Locale;
import java.util.Map;

/**
 * Signal names to Linux (x86_64, also aarch64 for these) signal numbers, for stop signals from images
 * ({@code StopSignal}) and from the CRI. Accepts {@code SIGTERM}, {@code TERM}, {@code 15},
 * {@code SIGRTMIN+3}, {@code RTMAX-2}, the CRI enum spellings {@code SIGRTMINPLUS3} /
 * {@code SIGRTMAXMINUS2}, and "" (meaning SIGTERM).
 */
public final class Signals {
    /** The default stop signal. */
    public static final int SIGTERM = 15;
    private static final int RTMIN = 34;
    private static final int RTMAX = 64;
    private static final Map<String, Integer> NAMES = Map.ofEntries(
            Map.entry("HUP", 1), Map.entry("INT", 2), Map.entry("QUIT", 3), Map.entry("ILL", 4), Map.entry("TRAP", 5),
            Map.entry("ABRT", 6), Map.entry("IOT", 6), Map.entry("BUS", 7), Map.entry("FPE", 8), Map.entry("KILL", 9),
            Map.entry("USR1", 10), Map.entry("SEGV", 11), Map.entry("USR2", 12), Map.entry("PIPE", 13),
            Map.entry("ALRM", 14), Map.entry("TERM", 15), Map.entry("STKFLT", 16), Map.entry("CHLD", 17),
            Map.entry("CLD", 17), Map.entry("CONT", 18), Map.entry("STOP", 19), Map.entry("TSTP", 20),
            Map.entry("TTIN", 21), Map.entry("TTOU", 22), Map.entry("URG", 23), Map.entry("XCPU", 24),
            Map.entry("XFSZ", 25), Map.entry("VTALRM", 26), Map.entry("PROF", 27), Map.entry("WINCH", 28),
            Map.entry("IO", 29), Map.entry("POLL", 29), Map.entry("PWR", 30), Map.entry("SYS", 31),
            Map.entry("RTMIN", RTMIN), Map.entry("RTMAX", RTMAX));

    private Signals() {}

    /** The number of a signal; throws IllegalArgumentException naming the signal when unknown. */
    public static int number(String signal) {
        if (signal == null || signal.isBlank()) {
            return SIGTERM;
        }
        String s = signal.trim().toUpperCase(Locale.ROOT);
        if (s.chars().allMatch(Character::isDigit)) {
            int n = s.length() > 3 ? -1 : Integer.parseInt(s);
            return check(n, signal);
        }
        if (s.startsWith("SIG")) {
            s = s.substring(3);
        }
        Integer known = NAMES.get(s);
        if (known != null) {
            return known;
        }
        Integer rt = realtime(s, "RTMIN+", "RTMINPLUS", RTMIN, 1);
        if (rt == null) {
            rt = realtime(s, "RTMAX-", "RTMAXMINUS", RTMAX, -1);
        }
        if (rt == null) {
            throw new IllegalArgumentException("unknown signal '" + signal + "'");
        }
        return check(rt, signal);
    }

    private static Integer realtime(String s, String prefix, String criPrefix, int base, int direction) {
        String offset = s.startsWith(prefix) ? s.substring(prefix.length())
                : s.startsWith(criPrefix) ? s.substring(criPrefix.length()) : null;
        if (offset == null || offset.isEmpty() || offset.length() > 2 || !offset.chars().allMatch(Character::isDigit)) {
            return null;
        }
        return base + direction * Integer.parseInt(offset);
    }

    private static int check(int n, String signal) {
        if (n < 1 || n > RTMAX || n == 32 || n == 33) {
            throw new IllegalArgumentException("unknown signal '" + signal + "'");
        }
        return n;
    }
}
