package io.crisp.core.cli;

import io.crisp.client.cli.ContainersCommand;
import io.crisp.client.cli.ExitCodes;
import io.crisp.client.cli.ImagesCommand;
import io.crisp.client.cli.PodsCommand;
import io.crisp.client.cli.StatusCommand;
import io.crisp.core.CrispBuild;
import io.crisp.core.server.ServerPreload;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import io.crisp.client.cli.ClientUsage;

/**
 * {@code crisp}, the one launcher: the daemon ({@code serve}) and the commands that act on this
 * installation (config, doctor, plugins, reload, stop, version, warmup) live here; the CRI client commands
 * (pods, containers, images, status) come from the client module (io.crisp.client.cli), which
 * never sees the daemon. The launcher adds the configuration flags to both kinds and tells the
 * client where the configuration puts the socket ({@link DaemonConfigListen}).
 */
@Command(name = "crisp",
        description = "A Kubernetes CRI runtime that runs each pod on the backend plugin its RuntimeClass names.",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        subcommands = {CommandLine.HelpCommand.class, ServeCommand.class, ConfigCommand.class, DoctorCommand.class, VersionCommand.class, PluginsCommand.class, ReloadCommand.class,
            ImagesCommand.class, PodsCommand.class, ContainersCommand.class, StatusCommand.class, StopCommand.class, WarmupCommand.class})
public final class Main implements Runnable {
    /** Exit code for a configuration the daemon refuses. */
    static final int EXIT_CONFIG = ExitCodes.CONFIG;
    /** Exit code for any other failure. */
    static final int EXIT_FAILURE = ExitCodes.FAILURE;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("serve")) {
            // Start-up work that does not depend on the flags runs beside their parsing.
            ServerPreload.begin();
            java.util.Optional<java.util.Map<String, String>> flags = ServeArgs.read(args);
            if (flags.isPresent()) {
                System.exit(ServeCommand.serve(() -> ConfigFlags.load(flags.get())));
            }
        }
        System.exit(commandLine(args).execute(args));
    }

    /**
     * The command line for these arguments. For a known subcommand only that subcommand is built:
     * picocli's reflection over every command costs a daemon start about 100 ms.
     */
    static CommandLine commandLine(String[] args) {
        if (args.length == 0 || args[0].startsWith("-") || args[0].equals("help")) {
            return commandLine();
        }
        for (Class<?> type : Main.class.getAnnotation(Command.class).subcommands()) {
            if (type.getAnnotation(Command.class).name().equals(args[0])) {
                CommandLine sub = new CommandLine(type);
                if (FLAGGED.contains(args[0])) {
                    addConfigFlags(sub, !args[0].equals("serve"));
                }
                CommandLine root = new CommandLine(CommandLine.Model.CommandSpec.create().name("crisp"));
                root.addSubcommand(args[0], sub);
                return withUsageErrors(root);
            }
        }
        return commandLine(); // unknown: let picocli say so, with the full list
    }

    private static final java.util.Set<String> FLAGGED = java.util.Set.of("serve", "config", "doctor", "plugins", "reload", "version", "images",
            "pods", "containers", "status", "stop");

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        for (String name : FLAGGED) {
            addConfigFlags(cli.getSubcommands().get(name), !name.equals("serve"));
        }
        return withUsageErrors(cli);
    }

    /** The configuration flags on a command and its actions ({@code containers logs}, ...); hidden but for serve. */
    private static void addConfigFlags(CommandLine command, boolean hidden) {
        ConfigFlags.addTo(command.getCommandSpec(), hidden);
        command.getSubcommands().values().stream().distinct().forEach(sub -> addConfigFlags(sub, hidden));
    }

    /** A refused command line is one line and a hint, exit code 2, for every command. */
    private static CommandLine withUsageErrors(CommandLine cli) {
        return cli.setParameterExceptionHandler(new ClientUsage());
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
