package io.crisp.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.config.CallLimits.Kind;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CallLimitsTest {
    private static final String ORIGIN = "[runtimes.x] in /etc/crisp/crisp.toml";

    @Test
    void absentKeysTakeTheDefaults() {
        CallLimits l = CallLimits.read(ORIGIN, Map.of("plugin", "runc"));
        assertEquals(CallLimits.DEFAULTS, l);
        assertEquals(Duration.ofMinutes(2), l.timeout(Kind.CREATE));
        assertEquals(Duration.ofSeconds(10), l.timeout(Kind.QUERY));
    }

    @Test
    void oneDurationSetsEveryKindATableOnlyTheKindsItNames() {
        CallLimits all = CallLimits.read(ORIGIN, Map.of("call_timeout", "20s"));
        for (Kind k : Kind.values()) {
            assertEquals(Duration.ofSeconds(20), all.timeout(k));
        }
        CallLimits some = CallLimits.read(ORIGIN, Map.of("call_timeout", Map.of("create", "4m", "query", "500ms"),
                "call_concurrency", 8L, "call_failures", 5L));
        assertEquals(Duration.ofMinutes(4), some.timeout(Kind.CREATE));
        assertEquals(Duration.ofMillis(500), some.timeout(Kind.QUERY));
        assertEquals(Kind.STOP.defaultTimeout(), some.timeout(Kind.STOP));
        assertEquals(8, some.concurrency());
        assertEquals(5, some.failures());
    }

    @Test
    void badValuesNameTheTableAndKey() {
        ConfigException kind = assertThrows(ConfigException.class,
                () -> CallLimits.read(ORIGIN, Map.of("call_timeout", Map.of("start", "1m"))));
        assertTrue(kind.getMessage().startsWith(ORIGIN + " key 'call_timeout.start': unknown kind"), kind.getMessage());
        ConfigException zero = assertThrows(ConfigException.class, () -> CallLimits.read(ORIGIN, Map.of("call_timeout", "0s")));
        assertTrue(zero.getMessage().contains("'call_timeout': must be more than zero"), zero.getMessage());
        ConfigException text = assertThrows(ConfigException.class, () -> CallLimits.read(ORIGIN, Map.of("call_timeout", "soon")));
        assertTrue(text.getMessage().contains("expected a duration"), text.getMessage());
        ConfigException slots = assertThrows(ConfigException.class, () -> CallLimits.read(ORIGIN, Map.of("call_concurrency", 0L)));
        assertTrue(slots.getMessage().contains("'call_concurrency': expected a whole number from 1 to 1024"), slots.getMessage());
        assertThrows(ConfigException.class, () -> CallLimits.read(ORIGIN, Map.of("call_failures", "3")));
    }

    @Test
    void theKeysAreTheCoresAndNeverReachThePlugin() {
        Map<String, Object> rest = SpecRuleKeys.pluginOptions(Map.of("runtime_path", "/usr/sbin/runc", "call_timeout", "1m",
                "call_concurrency", 4L, "call_failures", 2L));
        assertEquals(Map.of("runtime_path", "/usr/sbin/runc"), rest);
        assertFalse(rest.containsKey("call_timeout"));
    }
}
