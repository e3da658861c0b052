package io.crisp.core.plugin;

import io.crisp.core.config.CallLimits.Kind;
import io.crisp.spi.BackendHealth;
import io.crisp.spi.Durations;
import io.crisp.spi.NodeCheck;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The plugin's {@code health()}, then its {@code nodeChecks()}, asked on the handler's pool one
 * probe at a time. Status waits for
 * a fresh answer up to {@link IsolatedBackend#HEALTH_WAIT} and otherwise reports the last one, so a
 * hung health check costs Status at most that once; a check still running past the QUERY deadline
 * makes the handler not ready. An answer in time half-opens a tripped {@link CallBreaker}.
 */
final class HealthProbe {
    private final IsolatedBackend owner;
    private CompletableFuture<BackendHealth> inFlight;
    private long startedNanos;
    private boolean lateCounted;
    private volatile BackendHealth last = BackendHealth.healthy();
    /** The node checks of the last probe that answered; null before one did, or after one that failed. */
    private volatile List<NodeCheck> lastChecks;
    private volatile boolean answeredOnce;

    HealthProbe(IsolatedBackend owner) {
        this.owner = owner;
    }

    /** Starts a probe unless one runs; does not wait (a refused pod asks this). */
    void kick() {
        launchIfIdle();
    }

    BackendHealth check() {
        return check(IsolatedBackend.HEALTH_WAIT);
    }

    /** Whether a probe ever answered: before that, its first answer is worth a longer wait. */
    boolean answeredOnce() {
        return answeredOnce;
    }

    /** The node checks the last probe found; null when there are none to tell. */
    List<NodeCheck> lastChecks() {
        return lastChecks;
    }

    /** {@link #check()}, waiting up to {@code wait} for a young probe. */
    BackendHealth check(Duration wait) {
        return check(wait, true);
    }

    /**
     * The answer of the latest probe, waiting up to {@code wait} while it is young, without starting
     * another once one has answered: Status asks {@code health()} first, whose probe already found the
     * node checks, and asking again would run the plugin's checks twice per Status.
     */
    BackendHealth latest(Duration wait) {
        return check(wait, !answeredOnce);
    }

    private BackendHealth check(Duration wait, boolean launch) {
        CompletableFuture<BackendHealth> f;
        long waitNanos;
        synchronized (this) {
            f = launch ? launchIfIdle() : inFlight;
            // Wait for the probe only while it is young: one that already ran past the wait is not waited for again.
            waitNanos = wait.toNanos() - (System.nanoTime() - startedNanos);
        }
        if (f == null) {
            return BackendHealth.unhealthy(CallBreaker.REASON_TIMEOUT, "handler '" + owner.handler() + "' (plugin '" + owner.plugin()
                    + "'): all " + owner.limits().concurrency() + " call slots are held by calls still running in the plugin");
        }
        if (waitNanos > 0) {
            try {
                return f.get(waitNanos, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                // fall through: still running
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return last;
            } catch (ExecutionException e) {
                return last;
            }
        }
        if (f.isDone()) {
            return f.getNow(last);
        }
        Duration deadline = owner.limits().timeout(Kind.QUERY);
        long age;
        synchronized (this) {
            age = System.nanoTime() - startedNanos;
            if (age > deadline.toNanos() && !lateCounted) {
                lateCounted = true;
                owner.breaker().failed("health", true, "did not return within " + Durations.format(deadline));
            }
        }
        if (age > deadline.toNanos()) {
            return BackendHealth.unhealthy(CallBreaker.REASON_TIMEOUT, "handler '" + owner.handler() + "' (plugin '" + owner.plugin()
                    + "'): health has not returned for " + TimeUnit.NANOSECONDS.toSeconds(age) + "s (deadline "
                    + Durations.format(deadline) + ")");
        }
        return last;
    }

    /** The probe in flight, a new one if none was, or null when no call slot is free. */
    private synchronized CompletableFuture<BackendHealth> launchIfIdle() {
        if (inFlight != null && !inFlight.isDone()) {
            return inFlight;
        }
        if (owner.delegate() == null || !owner.slots().tryAcquire()) {
            return null;
        }
        CompletableFuture<BackendHealth> f = new CompletableFuture<>();
        inFlight = f;
        startedNanos = System.nanoTime();
        lateCounted = false;
        long started = startedNanos;
        try {
            owner.pool().execute(() -> {
                BackendHealth h = null;
                List<NodeCheck> checks = null;
                Throwable failure = null;
                try {
                    h = owner.delegate().health();
                    checks = h != null ? owner.delegate().nodeChecks() : null;
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    // Freed before the answer is told: a caller the answer wakes may launch the next probe at once.
                    owner.slots().release();
                }
                answered(f, started, h, checks, failure);
            });
        } catch (RuntimeException e) {
            owner.slots().release();
            f.complete(last);
        }
        return f;
    }

    private void answered(CompletableFuture<BackendHealth> f, long started, BackendHealth h, List<NodeCheck> checks, Throwable t) {
        Duration deadline = owner.limits().timeout(Kind.QUERY);
        boolean inTime = System.nanoTime() - started <= deadline.toNanos();
        String prefix = "handler '" + owner.handler() + "' (plugin '" + owner.plugin() + "'): health ";
        BackendHealth result;
        if (t != null) {
            owner.breaker().failed("health", false, "threw " + t);
            result = BackendHealth.unhealthy(CallBreaker.REASON_BROKEN, prefix + "threw " + t);
        } else if (h == null) {
            owner.breaker().failed("health", false, "returned null");
            result = BackendHealth.unhealthy(CallBreaker.REASON_BROKEN, prefix + "returned nothing (null)");
        } else {
            result = h;
            if (inTime) {
                owner.breaker().succeeded("health");
                owner.breaker().probeSucceeded(owner.lateCalls());
            }
        }
        lastChecks = t == null && h != null && checks != null ? List.copyOf(checks) : null;
        last = result;
        answeredOnce = true;
        f.complete(result);
    }
}
