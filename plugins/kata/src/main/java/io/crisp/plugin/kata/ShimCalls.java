package io.crisp.plugin.kata;

import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.ttrpc.Code;
import io.crisp.ttrpc.TtrpcClient;
import io.crisp.ttrpc.TtrpcException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How the shim v2 backend calls a shim: connecting, errors as the SPI's, calls whose failure does not matter. */
final class ShimCalls {
    private static final Logger LOG = LoggerFactory.getLogger(ShimCalls.class);
    static final int SIGKILL = 9;
    /** How long a task or exec may take to exit after SIGKILL. */
    static final Duration KILL_WAIT = Duration.ofSeconds(30);

    private ShimCalls() {}

    static TaskClient connect(String address) {
        try {
            return new TaskClient(TtrpcClient.connect(address));
        } catch (IOException e) {
            throw BackendException.unavailable("cannot connect to shim at %s: %s", address, e.getMessage());
        }
    }

    /** A failed shim call as a BackendException: a ttrpc status becomes the SPI's kind; {@code what} says what was being done. */
    static BackendException asBackend(Throwable e, String what) {
        if (e instanceof BackendException b) {
            return b;
        }
        if (e instanceof TtrpcException t) {
            Kind kind;
            switch (t.code()) {
                case NOT_FOUND -> kind = Kind.NOT_FOUND;
                case ALREADY_EXISTS -> kind = Kind.ALREADY_EXISTS;
                case INVALID_ARGUMENT -> kind = Kind.INVALID_ARGUMENT;
                case FAILED_PRECONDITION -> kind = Kind.FAILED_PRECONDITION;
                case DEADLINE_EXCEEDED -> kind = Kind.DEADLINE_EXCEEDED;
                case UNAVAILABLE -> kind = Kind.UNAVAILABLE;
                case UNIMPLEMENTED -> kind = Kind.UNIMPLEMENTED;
                case PERMISSION_DENIED -> kind = Kind.PERMISSION_DENIED;
                default -> kind = Kind.INTERNAL;
            }
            return new BackendException(kind, what + ": shim answered " + t.code() + ": " + t.detail(), t);
        }
        if (e instanceof UncheckedIOException u) {
            return new BackendException(Kind.INTERNAL, what + ": " + u.getCause().getMessage(), u);
        }
        return new BackendException(Kind.INTERNAL, what + ": " + e, e);
    }

    /** Runs {@code call}; a task or process the shim no longer knows is fine. */
    static void ignoreNotFound(Runnable call) {
        try {
            call.run();
        } catch (TtrpcException e) {
            if (e.code() != Code.NOT_FOUND) {
                throw e;
            }
        }
    }

    /** Runs {@code call}; any failure is only logged (best effort). */
    static void ignoreNotFoundQuietly(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.debug("shim call failed: {}", e.getMessage());
        }
    }

    /** Waits up to {@code timeout} for {@code future}, whatever its outcome. */
    static void awaitQuietly(CompletableFuture<?> future, Duration timeout) {
        try {
            future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // Best effort.
        }
    }

    /** Whether the task exited within {@code timeout}. */
    static boolean awaitExit(Task t, Duration timeout) {
        try {
            t.exited().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }
}
