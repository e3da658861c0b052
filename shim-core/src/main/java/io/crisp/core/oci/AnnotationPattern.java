package io.crisp.core.oci;

/**
 * A {@code pod_annotations} or {@code container_annotations} pattern, matched as containerd matches them (Go's
 * {@code path.Match}): {@code *} matches any run of characters except {@code /}, {@code ?} one
 * character except {@code /}, {@code [...]} one character of a class (ranges {@code a-z}, negation
 * {@code [^...]}), a backslash makes the next character literal. A malformed pattern (an unclosed
 * class, a trailing backslash) matches nothing, as path.Match reports it as an error.
 */
public final class AnnotationPattern {
    private final String pattern;

    private AnnotationPattern(String pattern) {
        this.pattern = pattern;
    }

    public static AnnotationPattern of(String pattern) {
        if (pattern == null) {
            throw new NullPointerException("annotation pattern is null");
        }
        return new AnnotationPattern(pattern);
    }

    public boolean matches(String key) {
        return match(0, key, 0);
    }

    private boolean match(int p, String key, int k) {
        while (p < pattern.length()) {
            char c = pattern.charAt(p);
            if (c == '*') {
                // Try every split of the run the star takes, shortest first; a star stops at '/'.
                for (int end = k; ; end++) {
                    if (match(p + 1, key, end)) {
                        return true;
                    }
                    if (end >= key.length() || key.charAt(end) == '/') {
                        return false;
                    }
                }
            }
            if (k >= key.length()) {
                return false;
            }
            char actual = key.charAt(k);
            if (c == '?') {
                if (actual == '/') {
                    return false;
                }
                p++;
            } else if (c == '[') {
                int close = classEnd(p);
                if (close < 0 || actual == '/' || !inClass(p + 1, close, actual)) {
                    return false;
                }
                p = close + 1;
            } else if (c == '\\') {
                if (p + 1 >= pattern.length() || pattern.charAt(p + 1) != actual) {
                    return false;
                }
                p += 2;
            } else {
                if (c != actual) {
                    return false;
                }
                p++;
            }
            k++;
        }
        return k == key.length();
    }

    /** The index of the ']' closing the class opened at {@code open}, or -1 when it is not closed. */
    private int classEnd(int open) {
        int i = open + 1;
        if (i < pattern.length() && pattern.charAt(i) == '^') {
            i++;
        }
        boolean first = true;
        while (i < pattern.length()) {
            char c = pattern.charAt(i);
            if (c == ']' && !first) {
                return i;
            }
            if (c == '\\') {
                i++;
            }
            i++;
            first = false;
        }
        return -1;
    }

    private boolean inClass(int from, int close, char actual) {
        boolean negated = pattern.charAt(from) == '^';
        int i = negated ? from + 1 : from;
        boolean found = false;
        while (i < close) {
            char lo = pattern.charAt(i);
            if (lo == '\\') {
                lo = pattern.charAt(++i);
            }
            char hi = lo;
            if (i + 2 < close && pattern.charAt(i + 1) == '-') {
                i += 2;
                hi = pattern.charAt(i);
                if (hi == '\\') {
                    hi = pattern.charAt(++i);
                }
            }
            if (lo <= actual && actual <= hi) {
                found = true;
            }
            i++;
        }
        return found != negated;
    }

    @Override
    public String toString() {
        return pattern;
    }
}
