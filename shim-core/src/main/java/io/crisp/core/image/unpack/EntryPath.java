package io.crisp.core.image.unpack;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A tar entry name (or hardlink target) as a path relative to the layer root, already checked.
 *
 * <p>Layer tars name their members {@code ./usr/bin/env}, {@code usr/bin/env} or {@code /usr/bin/env}
 * for the same file, so a leading {@code /} and {@code .} components are dropped and repeated slashes
 * collapse. A {@code ..} component is refused outright, even where it would stay inside the layer
 * ({@code a/../b}): no layer builder writes one, and refusing every one means no later step has to
 * reason about where a {@code ..} ends up.
 *
 * @param components the names from the layer root down, none empty, {@code .} or {@code ..}; empty
 *     for the layer root itself
 */
record EntryPath(List<String> components) {
    /** Linux refuses longer names with ENAMETOOLONG; saying so up front names the entry instead. */
    private static final int NAME_MAX = 255;

    /** How the JDK turns path strings into bytes for system calls; names it cannot encode are refused. */
    private static final Charset PATH_CHARSET = pathCharset();

    EntryPath {
        components = List.copyOf(components);
    }

    /**
     * @param raw the name as the tar header (or PAX {@code path}/{@code linkpath}) gives it
     * @throws IllegalArgumentException with the reason, phrased to follow the name in a message
     *     ("escapes the layer directory")
     */
    static EntryPath parse(String raw) {
        if (raw.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("contains a NUL character");
        }
        if (!isAscii(raw) && !PATH_CHARSET.newEncoder().canEncode(raw)) {
            throw new IllegalArgumentException("cannot be written as a file name in this JVM's path encoding "
                    + PATH_CHARSET + " (run crisp with a UTF-8 locale)");
        }
        List<String> parts = new ArrayList<>();
        boolean dotDot = false;
        boolean escapes = false;
        for (String component : raw.split("/")) {
            if (component.isEmpty() || component.equals(".")) {
                continue;
            }
            if (component.equals("..")) {
                dotDot = true;
                if (parts.isEmpty()) {
                    escapes = true;
                } else {
                    parts.remove(parts.size() - 1);
                }
                continue;
            }
            if (component.getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
                throw new IllegalArgumentException("has a component longer than " + NAME_MAX + " bytes");
            }
            parts.add(component);
        }
        if (escapes) {
            throw new IllegalArgumentException("escapes the layer directory");
        }
        if (dotDot) {
            throw new IllegalArgumentException("has a \"..\" component, which crisp refuses even inside the layer");
        }
        return new EntryPath(parts);
    }

    boolean isRoot() {
        return components.isEmpty();
    }

    /** The last component; only for a path that is not the root. */
    String fileName() {
        return components.get(components.size() - 1);
    }

    /** The path of the directory holding this one; the root for a top-level name. */
    EntryPath parent() {
        return new EntryPath(components.subList(0, components.size() - 1));
    }

    /** A path in the same directory as this one, as a whiteout names the file it hides. */
    EntryPath sibling(String name) {
        List<String> parts = new ArrayList<>(components.subList(0, components.size() - 1));
        parts.add(name);
        return new EntryPath(parts);
    }

    /** True for this path itself and everything below it. */
    boolean contains(EntryPath other) {
        return other.components.size() >= components.size()
                && other.components.subList(0, components.size()).equals(components);
    }

    /** The relative form, {@code usr/bin/env}; empty for the root. */
    @Override
    public String toString() {
        return String.join("/", components);
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7f) {
                return false;
            }
        }
        return true;
    }

    private static Charset pathCharset() {
        String name = System.getProperty("sun.jnu.encoding");
        try {
            return name == null ? Charset.defaultCharset() : Charset.forName(name);
        } catch (IllegalArgumentException e) {
            return Charset.defaultCharset();
        }
    }
}
