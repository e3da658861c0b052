package io.crisp.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class CriCallTest {
    @Test
    void keyValuesKeepOrderAndAllowEmptyValuesAndEquals() {
        Map<String, String> map = CriCall.keyValues("--label", List.of("app=web", "empty=", "url=a=b", "app=again"));
        assertEquals(List.of("app", "empty", "url"), List.copyOf(map.keySet()));
        assertEquals("again", map.get("app"));
        assertEquals("", map.get("empty"));
        assertEquals("a=b", map.get("url"));
    }

    @Test
    void keyValuesRefuseAMissingKeyOrEquals() {
        var noEquals = assertThrows(CriCall.UsageException.class, () -> CriCall.keyValues("--env", List.of("PATH")));
        assertEquals("--env PATH: expected KEY=VALUE", noEquals.getMessage());
        assertThrows(CriCall.UsageException.class, () -> CriCall.keyValues("--label", List.of("=v")));
    }

    @Test
    void idsResolveExactlyOrByUniquePrefix() {
        List<String> ids = List.of("abc123", "abd456", "abc");
        assertEquals("abc", CriCall.resolve("pod", "abc", ids));
        assertEquals("abd456", CriCall.resolve("pod", "abd", ids));
        var unknown = assertThrows(CriCall.NotFoundException.class, () -> CriCall.resolve("pod", "zzz", ids));
        assertEquals("no pod zzz", unknown.getMessage());
        var ambiguous = assertThrows(CriCall.UsageException.class, () -> CriCall.resolve("pod", "ab", ids));
        assertTrue(ambiguous.getMessage().contains("ambiguous"), ambiguous.getMessage());
    }

    @Test
    void shortIdsAndAges() {
        assertEquals("0123456789abc", CriCall.shortId("0123456789abcdef0123"));
        assertEquals("0123456789abc", CriCall.shortId("sha256:0123456789abcdef0123"));
        assertEquals("short", CriCall.shortId("short"));
        Instant now = Instant.ofEpochSecond(1_000_000);
        long nanos = 1_000_000L * 1_000_000_000L;
        assertEquals("1 second ago", CriCall.ago(nanos - 1_000_000_000L, now));
        assertEquals("5 minutes ago", CriCall.ago(nanos - 300_000_000_000L, now));
        assertEquals("2 days ago", CriCall.ago(nanos - 2 * 86_400_000_000_000L, now));
        assertEquals("-", CriCall.ago(0, now));
    }
}
