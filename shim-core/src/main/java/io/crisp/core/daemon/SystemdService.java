package io.crisp.core.daemon;

import io.crisp.core.config.CrispConfig;
import io.crisp.core.plugin.HandlerTable;
import io.crisp.core.runtime.ReloadOutcome;
import io.crisp.spi.BackendHealth;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.StringJoiner;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What systemd learns about the daemon ({@code Type=notify}): READY only once the CRI socket
 * answers a Version call made through it, RELOADING/READY around a reload, STOPPING when the stop
 * begins, STATUS lines with handler readiness, and WATCHDOG pings from a thread that first checks
 * the socket answers. Without {@code $NOTIFY_SOCKET} every method does nothing.
 */
public final class SystemdService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SystemdService.class);
    /** How long a probe may take: the daemon counts as not serving past it. */
    public static final Duration PROBE_DEADLINE = Duration.ofSeconds(2);

    private final ServiceNotifier notifier;
    private final OptionalLong watchdogMicros;
    private final Function<Path, SocketProbe> probes;
    private SocketProbe probe;
    private String socketUrl;
    private Thread watchdog;
    private volatile boolean closed;
    /** READY=1 was sent: a reload before that (SIGHUP while starting) must not announce readiness. */
    private volatile boolean ready;

    private SystemdService(ServiceNotifier notifier, OptionalLong watchdogMicros, Function<Path, SocketProbe> probes) {
        this.notifier = notifier;
        this.watchdogMicros = watchdogMicros;
        this.probes = probes;
    }

    /** {@code probes} makes the check that the socket at a path answers (used only under systemd). */
    public static SystemdService fromEnvironment(Map<String, String> env, Function<Path, SocketProbe> probes) {
        Optional<ServiceNotifier> notifier = ServiceNotifier.fromEnvironment(env);
        return new SystemdService(notifier.orElse(null),
                notifier.isPresent() ? watchdogMicros(env, ProcessHandle.current().pid()) : OptionalLong.empty(), probes);
    }

    /**
     * {@code $WATCHDOG_USEC}, unless {@code $WATCHDOG_PID} names another process (then the pings
     * are not this process's to send).
     */
    static OptionalLong watchdogMicros(Map<String, String> env, long pid) {
        String usec = env.get("WATCHDOG_USEC");
        String owner = env.get("WATCHDOG_PID");
        try {
            if (usec == null || (owner != null && !owner.isEmpty() && Long.parseLong(owner.trim()) != pid)) {
                return OptionalLong.empty();
            }
            long micros = Long.parseLong(usec.trim());
            return micros > 0 ? OptionalLong.of(micros) : OptionalLong.empty();
        } catch (NumberFormatException e) {
            log.warn("Ignoring the watchdog: WATCHDOG_USEC={} WATCHDOG_PID={} are not numbers", usec, owner);
            return OptionalLong.empty();
        }
    }

    public boolean active() {
        return notifier != null;
    }

    public void status(String text) {
        if (active()) {
            notifier.send(ServiceNotifier.fields("STATUS", text));
        }
    }

    /**
     * Called once the daemon started: probes the socket until Version answers (STATUS says why not
     * meanwhile), then READY=1 and the watchdog thread. Returns false when stopped first.
     */
    public synchronized boolean serving(Daemon daemon) {
        if (!active()) {
            return true;
        }
        CrispConfig config = daemon.state().config();
        Path socket = config.socketPath();
        socketUrl = "unix://" + socket;
        probe = probes.apply(socket);
        while (!closed) {
            Optional<String> problem = probe();
            if (problem.isEmpty()) {
                notifier.send(ServiceNotifier.fields("READY", "1", "MAINPID", Long.toString(ProcessHandle.current().pid()),
                        "STATUS", servingStatus(daemon.state().handlerTable())));
                ready = true;
                startWatchdog();
                return true;
            }
            notifier.send(ServiceNotifier.fields("STATUS", "starting: the CRI socket " + socketUrl + " does not answer yet: " + problem.get()));
            sleep(200);
        }
        return false;
    }

    public void reloading() {
        if (active() && ready) {
            notifier.send(ServiceNotifier.fields("RELOADING", "1", "MONOTONIC_USEC", Long.toString(System.nanoTime() / 1000),
                    "STATUS", "reloading configuration and plugins"));
        }
    }

    public void reloaded(Daemon daemon, ReloadOutcome outcome) {
        if (active() && ready) { // before READY, the start's own STATUS lines keep going
            String status = servingStatus(daemon.state().handlerTable());
            notifier.send(ServiceNotifier.fields("READY", "1", "STATUS",
                    outcome.error().map(e -> "reload refused, previous configuration stays: " + e + "; " + status).orElse(status)));
        }
    }

    public void stopping() {
        if (active()) {
            notifier.send(ServiceNotifier.fields("STOPPING", "1", "STATUS", "stopping: containers keep running"));
        }
    }

    String servingStatus(HandlerTable table) {
        StringJoiner handlers = new StringJoiner(", ");
        table.handlers().forEach((name, handler) -> {
            BackendHealth health = handler.health();
            handlers.add(name + (health.ready() ? " ready" : " not ready (" + health.reason() + ": " + health.message() + ")"));
        });
        return "serving on " + socketUrl + "; handlers: " + handlers;
    }

    /** Empty when a call through the real socket answered within the probe's deadline. */
    private Optional<String> probe() {
        try {
            return probe.problem();
        } catch (RuntimeException e) {
            return Optional.of(e.toString());
        }
    }

    private void startWatchdog() {
        if (watchdogMicros.isEmpty()) {
            return;
        }
        long intervalMillis = Math.max(1, watchdogMicros.getAsLong() / 2000);
        watchdog = new Thread(() -> {
            boolean failing = false;
            while (!closed) {
                sleep(intervalMillis);
                if (closed) {
                    return;
                }
                Optional<String> problem = probe();
                if (problem.isEmpty()) {
                    notifier.send(ServiceNotifier.fields("WATCHDOG", "1"));
                    failing = false;
                } else if (!failing) {
                    failing = true;
                    log.warn("Watchdog: the CRI socket {} does not answer, not pinging systemd: {}", socketUrl, problem.get());
                    notifier.send(ServiceNotifier.fields("STATUS", "the CRI socket " + socketUrl + " does not answer: " + problem.get()));
                }
            }
        }, "crisp-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        log.info("Watchdog: pinging systemd every {} ms while the CRI socket answers", intervalMillis);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the watchdog thread; call after the daemon closed. */
    @Override
    public void close() {
        closed = true;
        Thread thread = watchdog;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            if (probe != null) {
                probe.close();
                probe = null;
            }
        }
        if (notifier != null) {
            notifier.close();
        }
    }
}
