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
        String suggestion = "";
        if (e instanceof UnmatchedArgumentException unmatched && !unmatched.getSuggestions().isEmpty()) {
            suggestion = " (did you mean " + String.join(" or ", unmatched.getSuggestions()) + "?)";
        }
        err.println(name + ": " + e.getMessage() + suggestion);
        err.println("see '" + name + " --help'");
        err.flush();
        return ExitCodes.CONFIG;
    }
}
