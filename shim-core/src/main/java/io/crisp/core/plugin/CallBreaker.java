package io.crisp.core.plugin;

import io.crisp.spi.BackendHealth;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a handler's backend calls keep failing: counts, per SPI method, the calls in a row that
 * timed out or broke the contract (an unchecked exception, a null answer). A method that reaches
 * {@code failures} of them makes the handler not ready, with a reason naming the plugin, the method
 * and the last fault. A refusal ({@code BackendException}) is an answer, not a fault, and like a
 * success it clears its method's count.
 *
 * <p>Recovery cannot stick: a not-ready handler still takes the calls of its existing pods (a
 * success of the failing method clears it), and once it has been not ready for {@code coolDown}
 * with no call left running past its deadline, {@link #probeSucceeded} (the wrapper's health probe
 * came back in time) half-opens it: every count drops to one below the limit, so the handler is
 * ready again and one more fault of the same method trips it at once.
 */
final class CallBreaker {
    static final String REASON_TIMEOUT = "BackendCallTimeout";
    static final String REASON_BROKEN = "BackendCallFailed";

    private final String plugin;
    private final String handler;
    private final int failures;
    private final Map<String, Integer> inARow = new HashMap<>();
    private final long coolDownNanos;
    private BackendHealth problem;
    private long trippedAt;

    CallBreaker(String plugin, String handler, int failures, java.time.Duration coolDown) {
        this.plugin = plugin;
        this.handler = handler;
        this.failures = failures;
        this.coolDownNanos = coolDown.toNanos();
    }

    /** A call of {@code method} answered (a result or a refusal). */
    synchronized void succeeded(String method) {
        if (inARow.remove(method) != null) {
            recompute(null, null);
        }
    }

    /**
     * A call of {@code method} timed out ({@code timedOut}) or broke the contract.
     *
     * @param what a sentence fragment: "did not return within 10s", "threw java.lang.IllegalStateException: x"
     */
    synchronized void failed(String method, boolean timedOut, String what) {
        int n = inARow.merge(method, 1, Integer::sum);
        if (n >= failures) {
            recompute(timedOut ? REASON_TIMEOUT : REASON_BROKEN, "handler '" + handler + "' (plugin '" + plugin + "'): " + method
                    + " failed " + n + " time(s) in a row, last: " + what);
        }
    }

    /**
     * The health probe answered in time: ready again, one fault away from not ready, unless the
     * handler tripped less than the cool-down ago or calls still run past their deadline.
     *
     * @param lateCalls calls of this handler still running in the plugin after their caller gave up
     */
    synchronized void probeSucceeded(int lateCalls) {
        if (problem != null && lateCalls == 0 && System.nanoTime() - trippedAt >= coolDownNanos) {
            inARow.replaceAll((m, n) -> Math.min(n, failures - 1));
            problem = null;
        }
    }

    /** Why the handler is not ready, empty while it is. */
    synchronized Optional<BackendHealth> problem() {
        return Optional.ofNullable(problem);
    }

    private void recompute(String reason, String message) {
        if (reason != null) {
            if (problem == null) {
                trippedAt = System.nanoTime();
            }
            problem = BackendHealth.unhealthy(reason, message);
            return;
        }
        if (inARow.values().stream().noneMatch(n -> n >= failures)) {
            problem = null;
        }
    }
}
