package io.crisp.client.cli;

import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ContainerStatusRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code crisp containers logs}: the container's CRI log file, as the daemon reports its path. */
@Command(name = "logs", description = "Print a container's log: its stdout to stdout, its stderr to stderr.")
final class ContainerLogs extends ContainersCommand.Action {
    @Parameters(index = "0", paramLabel = "ID", description = "the container")
    String id;

    @Override
    public Integer call() {
        return CriCall.run(spec, command(), Duration.ofMinutes(1), this::logs);
    }

    private int logs(CriClient cri) throws IOException {
        String full = ContainersCommand.resolveContainer(cri, id);
        String logPath = cri.runtime().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(full).build())
                .getStatus().getLogPath();
        if (logPath.isEmpty()) {
            System.err.println("crisp containers logs: container " + full + " has no log file (its pod has no log directory)");
            return ExitCodes.FAILURE;
        }
        try (BufferedReader reader = Files.newBufferedReader(Path.of(logPath), StandardCharsets.UTF_8)) {
            new CriLogText(System.out, System.err).copy(reader);
        } catch (NoSuchFileException e) {
            // Created but never started: nothing logged yet.
        }
        return 0;
    }
}
