package io.crisp.core.oci;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

final class AnnotationPatternTest {
    private static boolean matches(String pattern, String key) {
        return AnnotationPattern.of(pattern).matches(key);
    }

    @Test
    void withoutStarOnlyTheSameKey() {
        assertTrue(matches("example.com/team", "example.com/team"));
        assertFalse(matches("example.com/team", "example.com/teams"));
        assertFalse(matches("example.com/team", "xexample.com/team"));
        assertTrue(matches("", ""));
        assertFalse(matches("", "a"));
    }

    @Test
    void trailingStarMatchesAnyRestExceptSlashesAsContainerdsPathMatch() {
        assertTrue(matches("io.katacontainers.*", "io.katacontainers.config.hypervisor.default_memory"));
        assertFalse(matches("io.katacontainers.*", "io.katacontainers.config/weird"));
        assertTrue(matches("io.katacontainers.*/*", "io.katacontainers.config/weird"));
        assertTrue(matches("io.katacontainers.*", "io.katacontainers."));
        assertFalse(matches("io.katacontainers.*", "io.katacontainers"));
        assertFalse(matches("io.katacontainers.*", "xio.katacontainers.config"));
    }

    @Test
    void questionMarksClassesAndEscapesAsPathMatch() {
        assertFalse(matches("io.kata*", "ioXkata.x"));
        assertTrue(matches("a?b*", "axbc"));
        assertFalse(matches("a?b*", "a/bc"));
        assertTrue(matches("a\\?b*", "a?bc"));
        assertFalse(matches("a\\?b*", "axbc"));
        assertTrue(matches("[ab]*", "ax"));
        assertFalse(matches("[ab]*", "cx"));
        assertTrue(matches("[^ab]x", "cx"));
        assertTrue(matches("v[0-9]", "v7"));
        assertFalse(matches("v[0-9]", "vx"));
        assertFalse(matches("[ab", "a"), "an unclosed class matches nothing");
        assertFalse(matches("a\\", "a"), "a trailing backslash matches nothing");
    }

    @Test
    void starsAnywhere() {
        assertTrue(matches("*", ""));
        assertTrue(matches("*", "any.thing-at-all"));
        assertFalse(matches("*", "any.thing/at-all"));
        assertTrue(matches("*.istio.io/*", "sidecar.istio.io/inject"));
        assertFalse(matches("*.istio.io/*", "sidecar.istio.io"));
        assertTrue(matches("a*b*c", "abc"));
        assertTrue(matches("a*b*c", "a-b-b-c"));
        assertTrue(matches("a*b*c", "axbxcxbxc"));
        assertFalse(matches("a*b*c", "acb"));
        assertTrue(matches("a**c", "ac"));
        assertFalse(matches("ab*ba", "aba"));
        assertTrue(matches("ab*ba", "abba"));
    }

    @Test
    void middlePiecesMayNotOverlapTheSuffix() {
        assertFalse(matches("*x*xy", "xy"));
        assertTrue(matches("*x*xy", "xxy"));
    }

    @Test
    void nullPatternRefused() {
        assertThrows(NullPointerException.class, () -> AnnotationPattern.of(null));
    }
}
