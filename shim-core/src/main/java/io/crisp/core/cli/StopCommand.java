package io.crisp.core.cli;

import io.crisp.core.config.ConfigException;
import io.crisp.core.config.ConfigKey;
import io.crisp.core.daemon.PidFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code crisp stop}: what {@code systemctl stop crisp} does where systemd does not run. SIGTERM to the
 * pid in {@code <state>/crisp.pid}, then a wait until the daemon is gone. Pods and containers keep
 * running (their monitors and shims outlive the daemon); the next {@code crisp serve} finds them.
 * Stopping a daemon that is not running succeeds, as {@code systemctl stop} does.
 */
@Command(name = "stop", versionProvider = Main.Version.class, mixinStandardHelpOptions = true,
        description = "Stop the running daemon (SIGTERM, then wait); pods and containers keep running.")
final class StopCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--timeout", description = "How long to wait for the daemon to exit, e.g. 30s (default).", defaultValue = "30s")
    String timeout;

    @Override
    public Integer call() throws InterruptedException {
        Path state = stateDirectory();
        OptionalLong pid = PidFile.read(state);
        Optional<ProcessHandle> daemon = pid.isPresent() ? ProcessHandle.of(pid.getAsLong()).filter(ProcessHandle::isAlive)
                : Optional.empty();
        if (daemon.isEmpty()) {
            System.out.println("crisp is not running (" + PidFile.path(state) + " names no live process)");
            return 0;
        }
        daemon.get().destroy(); // SIGTERM: the daemon closes its socket and pid file and exits 0
        long deadline = System.nanoTime() + io.crisp.spi.Durations.parse(timeout).toNanos();
        while (daemon.get().isAlive()) {
            if (System.nanoTime() > deadline) {
                System.err.println("crisp: the daemon (pid " + pid.getAsLong() + ") did not exit within " + timeout
                        + "; its log says why, or kill -9 it (pods keep running)");
                return Main.EXIT_FAILURE;
            }
            Thread.sleep(50);
        }
        System.out.println("stopped crisp (pid " + pid.getAsLong() + ")");
        return 0;
    }

    /** The daemon's state directory: --state, else the configuration's, else the default (a refused configuration warns). */
    private Path stateDirectory() {
        try {
            return ConfigFlags.load(spec).state();
        } catch (ConfigException e) {
            String flag = spec.findOption(ConfigKey.STATE.flag()).getValue();
            Path state = flag != null ? Path.of(flag) : (Path) ConfigKey.STATE.defaultValue(ConfigFlags.crispHome());
            System.err.println("crisp: warning: configuration refused (" + e.getMessage() + "); using the state directory " + state);
            return state;
        }
    }
}
