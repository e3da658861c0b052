package io.crisp.core.cli;

import io.crisp.core.config.ConfigException;
import io.crisp.core.daemon.Daemon;
import io.crisp.core.daemon.SystemdService;
import java.io.UncheckedIOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * {@code crisp serve}: runs the daemon until SIGTERM or SIGINT; SIGHUP reloads configuration and
 * plugins. Exit code 2 when the configuration is refused, 1 for any other start failure.
 */
@Command(name = "serve", versionProvider = Main.Version.class, mixinStandardHelpOptions = true, description = "Run the CRI daemon. SIGHUP reloads configuration and plugins; SIGTERM stops.")
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return serve(() -> ConfigFlags.load(spec));
    }

    /**
     * Runs the daemon on the configuration {@code config} loads (again on every reload) until
     * SIGTERM or SIGINT; the exit code.
     */
    static int serve(java.util.function.Supplier<io.crisp.core.config.CrispConfig> config) {
        // Signals are handled from the first moment: the socket answers before Daemon.start
        // returns, and the JVM's default for SIGHUP would be to shut down.
        AtomicReference<Daemon> running = new AtomicReference<>();
        // Under systemd (Type=notify): READY once the socket answers, RELOADING, STOPPING, watchdog.
        SystemdService service = SystemdService.fromEnvironment(System.getenv(),
                socket -> new VersionProbe(socket, SystemdService.PROBE_DEADLINE));
        CountDownLatch stopped = new CountDownLatch(1);
        ExecutorService reloads = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "crisp-reload");
            t.setDaemon(true);
            return t;
        });
        if (Signal.handle(new Signal("HUP"), signal -> reloads.execute(() -> {
            Daemon d = running.get();
            if (d != null) {
                service.reloading();
                service.reloaded(d, d.reload());
            }
        })) == SignalHandler.SIG_IGN) {
            // The JVM leaves a signal alone that the parent ignored (nohup does that to SIGHUP).
            System.err.println("crisp: SIGHUP is ignored by this process (started under nohup?): "
                    + "`crisp reload` will not work; start crisp with setsid or systemd instead");
        }
        // SIGTERM and SIGINT are a requested stop: close, then exit 0 (the JVM's own handling would
        // exit 143, which service managers count as a failure).
        Signal.handle(new Signal("TERM"), signal -> stopped.countDown());
        Signal.handle(new Signal("INT"), signal -> stopped.countDown());
        Daemon daemon;
        service.status("starting: loading configuration, plugins and state");
        try {
            daemon = Daemon.start(config);
        } catch (ConfigException e) {
            System.err.println("crisp: configuration refused: " + e.getMessage());
            service.status("configuration refused: " + e.getMessage());
            service.close();
            return Main.EXIT_CONFIG;
        } catch (IllegalStateException | UncheckedIOException e) {
            System.err.println("crisp: cannot start: " + e.getMessage());
            service.status("cannot start: " + e.getMessage());
            service.close();
            return Main.EXIT_FAILURE;
        }
        running.set(daemon);
        // Any other exit (System.exit elsewhere, a fatal error) still removes the socket.
        Thread hook = new Thread(() -> {
            service.stopping();
            daemon.close();
            service.close();
        }, "crisp-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        // A stop requested while the socket does not answer yet ends the wait for it.
        Thread stopWatch = new Thread(() -> {
            try {
                stopped.await();
                service.close();
            } catch (InterruptedException e) {
                // serving: the main thread handles the stop
            }
        }, "crisp-stop-watch");
        stopWatch.setDaemon(true);
        stopWatch.start();
        service.serving(daemon);
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        service.stopping();
        daemon.close();
        service.close();
        Runtime.getRuntime().removeShutdownHook(hook);
        return 0;
    }
}
