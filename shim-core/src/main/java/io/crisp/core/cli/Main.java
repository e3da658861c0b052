package io.crisp.core.cli;

import io.crisp.core.CrispBuild;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code crisp}: the daemon and its administration commands. */
@Command(name = "crisp",
        description = "A Kubernetes CRI runtime that runs each pod on the backend plugin its RuntimeClass names.",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        subcommands = {ServeCommand.class, ConfigCommand.class, VersionCommand.class, PluginsCommand.class, ReloadCommand.class})
public final class Main implements Runnable {
    /** Exit code for a configuration the daemon refuses. */
    static final int EXIT_CONFIG = 2;
    /** Exit code for any other failure. */
    static final int EXIT_FAILURE = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        for (String name : new String[] {"serve", "config", "plugins", "reload"}) {
            ConfigFlags.addTo(cli.getSubcommands().get(name).getCommandSpec());
        }
        return cli;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"crisp " + CrispBuild.VERSION};
        }
    }
}
