package io.crisp.core.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.stream.session.ExecTarget;
import io.crisp.core.stream.session.PortForwardTarget;
import io.crisp.spi.model.StdioWiring;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

final class StreamTokensTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final StreamTokens tokens = new StreamTokens(now::get, Duration.ofMinutes(1));
    private final ExecTarget exec = new ExecTarget("c1", List.of("sh"), new StdioWiring(true, true, false, true));

    @Test
    void aTokenOpensItsTargetOnce() {
        String token = tokens.issue(exec);
        assertTrue(token.matches("[A-Za-z0-9_-]{22}"), "128 bits, URL-safe: " + token);
        assertEquals(Optional.of(exec), tokens.consume(token, "exec"));
        assertEquals(Optional.empty(), tokens.consume(token, "exec"));
    }

    @Test
    void aTokenOfAnotherKindOpensNothingAndIsSpent() {
        String token = tokens.issue(exec);
        assertEquals(Optional.empty(), tokens.consume(token, "attach"));
        assertEquals(Optional.empty(), tokens.consume(token, "exec"));
    }

    @Test
    void tokensExpireAfterTheTtl() {
        String token = tokens.issue(exec);
        now.addAndGet(Duration.ofSeconds(59).toNanos());
        String younger = tokens.issue(exec);
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        assertEquals(Optional.empty(), tokens.consume(token, "exec"));
        assertEquals(1, tokens.inFlight());
        assertEquals(Optional.of(exec), tokens.consume(younger, "exec"));
    }

    @Test
    void atMostAThousandWaitAndExpiredOnesMakeRoom() {
        Set<String> issued = new HashSet<>();
        for (int i = 0; i < StreamTokens.MAX_IN_FLIGHT; i++) {
            issued.add(tokens.issue(new PortForwardTarget("p" + i, List.of(80))));
        }
        assertEquals(StreamTokens.MAX_IN_FLIGHT, issued.size());
        StreamTokens.TooManyInFlight full = assertThrows(StreamTokens.TooManyInFlight.class, () -> tokens.issue(exec));
        assertTrue(full.getMessage().contains("1000"), full.getMessage());
        now.addAndGet(Duration.ofMinutes(2).toNanos());
        assertNotEquals("", tokens.issue(exec));
        assertEquals(1, tokens.inFlight());
    }

    @Test
    void unknownTokensOpenNothing() {
        assertEquals(Optional.empty(), tokens.consume("nope", "exec"));
    }
}
