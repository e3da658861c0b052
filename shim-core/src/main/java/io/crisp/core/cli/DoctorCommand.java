package io.crisp.core.cli;

import io.crisp.core.config.ConfigException;
import io.crisp.core.config.CrispConfig;
import io.crisp.core.daemon.LogLevels;
import io.crisp.core.doctor.Doctor;
import io.crisp.core.doctor.DoctorReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code crisp doctor}: checks this node for every configured handler, with the configuration the
 * daemon would read (same files, drop-ins and flags) and no daemon needed. Prints each check OK,
 * WARN or FAIL with the fix; exits 1 when the default handler cannot run pods, 0 otherwise (also
 * when another handler fails: the output says so), 2 when the configuration is refused.
 */
@Command(name = "doctor", versionProvider = Main.Version.class, mixinStandardHelpOptions = true,
        description = "Check this node for every configured handler: binaries, kernel features, CNI, disk space, socket directory. "
                + "Exit code 1 when the default handler cannot run pods.")
final class DoctorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        CrispConfig config = ConfigFlags.loadOrReport(spec);
        if (config == null) {
            return Main.EXIT_CONFIG;
        }
        LogLevels.apply("error");
        String source = config.sources().isEmpty() ? "built-in defaults and flags"
                : config.sources().stream().map(Path::toString).collect(Collectors.joining(", "));
        DoctorReport report;
        try {
            report = Doctor.examine(config, "configuration: " + source);
        } catch (ConfigException e) {
            System.err.println("crisp: handlers refused: " + e.getMessage());
            return Main.EXIT_CONFIG;
        }
        report.print(System.out);
        return report.exitCode(Main.EXIT_FAILURE);
    }
}
