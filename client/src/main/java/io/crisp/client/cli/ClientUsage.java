package io.crisp.client.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * How a command line crisp cannot use is refused: one line naming the command and the problem,
 * picocli's suggestion when it has one ("did you mean"), and where the usage is, never the whole
 * usage; exit code 2. A command's own checks of its arguments throw {@link ParameterException} to
 * be reported the same way.
 */
public final class ClientUsage implements IParameterExceptionHandler {
    @Override
    public int handleParseException(ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        String name = command.getCommandSpec().qualifiedName();
        String message = e.getMessage();
        if (e instanceof UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            String first = unmatched.getUnmatched().get(0);
            if (!command.getSubcommands().isEmpty() && !first.startsWith("-")) {
                // An action the command does not have: name them all.
                message = "unknown " + (command.getParent() == null ? "command" : "action") + " '" + first + "' (" + String.join(", ", command.getSubcommands().values().stream()
                        .map(c -> c.getCommandName()).distinct().filter(n -> !n.equals("help")).toList()) + ")";
            } else if (!unmatched.getSuggestions().isEmpty()) {
                message += " (did you mean " + String.join(" or ", unmatched.getSuggestions()) + "?)";
            }
        }
        err.println(name + ": " + message);
        err.println("see '" + name + " --help'");
        err.flush();
        return ExitCodes.CONFIG;
    }
}
