package io.crisp.plugin.kata.spec;

/**
 * A pod_annotations pattern: {@code *} matches any run of characters (dots and slashes included),
 * every other character only itself.
 */
final class AnnotationGlob {
    private final String pattern;
    /** The literal pieces between stars; one piece when the pattern has no star. */
    private final String[] pieces;

    private AnnotationGlob(String pattern) {
        this.pattern = pattern;
        this.pieces = pattern.split("\\*", -1);
    }

    static AnnotationGlob of(String pattern) {
        if (pattern == null) {
            throw new NullPointerException("annotation pattern is null");
        }
        return new AnnotationGlob(pattern);
    }

    boolean matches(String key) {
        if (pieces.length == 1) {
            return key.equals(pattern);
        }
        String first = pieces[0];
        String last = pieces[pieces.length - 1];
        if (key.length() < first.length() + last.length() || !key.startsWith(first) || !key.endsWith(last)) {
            return false;
        }
        // Each middle piece at its leftmost place after the previous one leaves the most room for the rest.
        int from = first.length();
        int end = key.length() - last.length();
        for (int i = 1; i < pieces.length - 1; i++) {
            int at = key.indexOf(pieces[i], from);
            if (at < 0 || at + pieces[i].length() > end) {
                return false;
            }
            from = at + pieces[i].length();
        }
        return true;
    }

    @Override
    public String toString() {
        return pattern;
    }
}
