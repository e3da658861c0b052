package io.crisp.core.plugin;

import io.crisp.spi.BackendException;
import io.crisp.spi.BackendHealth;
import io.crisp.spi.Capability;
import io.crisp.spi.Durations;
import io.crisp.spi.RuntimeBackend;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugin's {@code create} (and its {@code capabilities()}), run on the handler's pool so that a
 * plugin that throws, returns null or blocks in it does not stop the daemon: the handler stays not
 * ready with the reason, the others serve. A create that returns after the wait is adopted then
 * (the handler becomes ready by itself); one that failed needs a reload after the plugin is fixed.
 */
final class PluginStart {
    private static final Logger log = LoggerFactory.getLogger(PluginStart.class);
    static final String REASON_FAILED = "PluginCreateFailed";
    static final String REASON_TIMEOUT = "PluginCreateTimeout";

    private record Started(RuntimeBackend backend, Set<Capability> capabilities) {}

    private final String plugin;
    private final String handler;
    private volatile Started started;
    private volatile BackendHealth problem;
    private volatile boolean discarded;

    PluginStart(String plugin, String handler) {
        this.plugin = plugin;
        this.handler = handler;
        this.problem = BackendHealth.unhealthy(REASON_TIMEOUT, "plugin '" + plugin + "' is still creating handler '" + handler + "'");
    }

    /** @throws BackendException the plugin's refusal of its options, as it threw it */
    void begin(IsolatedBackend owner, Supplier<RuntimeBackend> create, Duration wait) {
        CompletableFuture<Started> future = new CompletableFuture<>();
        owner.pool().execute(() -> {
            try {
                RuntimeBackend backend = create.get();
                if (backend == null) {
                    throw new IllegalStateException("create returned no backend (null)");
                }
                future.complete(new Started(backend, Set.copyOf(backend.capabilities())));
            } catch (Throwable t) { // whatever the plugin throws, Errors included, is its fault
                future.completeExceptionally(t);
            }
        });
        try {
            adopt(future.get(wait.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            problem = BackendHealth.unhealthy(REASON_TIMEOUT, "plugin '" + plugin + "' did not create handler '" + handler + "' within "
                    + Durations.format(wait) + "; the handler is used once it does");
            log.warn("Handler '{}': {}", handler, problem.message());
            future.whenComplete((s, t) -> {
                if (t == null && !discarded) {
                    log.info("Handler '{}': plugin '{}' created it late; it serves from now on", handler, plugin);
                    adopt(s);
                } else if (t == null) {
                    s.backend().close();
                } else {
                    failed(t);
                }
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed(e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof BackendException refusal) {
                owner.pool().shutdown();
                throw refusal;
            }
            failed(e.getCause());
        }
    }

    private void adopt(Started s) {
        started = s;
        problem = null;
    }

    private void failed(Throwable t) {
        String what = t instanceof BackendException b ? b.getMessage() : t.toString();
        problem = BackendHealth.unhealthy(REASON_FAILED, "plugin '" + plugin + "' failed to create handler '" + handler + "': " + what
                + "; fix the plugin and reload (SIGHUP)");
        log.error("Handler '{}': {}", handler, problem.message(), t);
    }

    RuntimeBackend backend() {
        Started s = started;
        return s == null ? null : s.backend();
    }

    Set<Capability> capabilities() {
        Started s = started;
        return s == null ? Set.of() : s.capabilities();
    }

    /** Why the handler has no backend, empty once it has one. */
    Optional<BackendHealth> problem() {
        return Optional.ofNullable(problem);
    }

    /** The handler is closed: a backend created from now on is closed at once. */
    void discardLate() {
        discarded = true;
    }
}
