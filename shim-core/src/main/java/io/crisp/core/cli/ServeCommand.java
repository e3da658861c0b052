package io.crisp.core.cli;

import io.crisp.core.config.ConfigException;
import io.crisp.core.daemon.Daemon;
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
        // Signals are handled from the first moment: the socket answers before Daemon.start
        // returns, and the JVM's default for SIGHUP would be to shut down.
        AtomicReference<Daemon> running = new AtomicReference<>();
        CountDownLatch stopped = new CountDownLatch(1);
        ExecutorService reloads = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "crisp-reload");
            t.setDaemon(true);
            return t;
        });
        if (Signal.handle(new Signal("HUP"), signal -> reloads.execute(() -> {
            Daemon d = running.get();
            if (d != null) {
                d.reload();
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
        try {
            daemon = Daemon.start(() -> ConfigFlags.load(spec));
        } catch (ConfigException e) {
            System.err.println("crisp: configuration refused: " + e.getMessage());
            return Main.EXIT_CONFIG;
        } catch (IllegalStateException | UncheckedIOException e) {
            System.err.println("crisp: cannot start: " + e.getMessage());
            return Main.EXIT_FAILURE;
        }
        running.set(daemon);
        // Any other exit (System.exit elsewhere, a fatal error) still removes the socket.
        Thread hook = new Thread(daemon::close, "crisp-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        daemon.close();
        Runtime.getRuntime().removeShutdownHook(hook);
        return 0;
    }
}
