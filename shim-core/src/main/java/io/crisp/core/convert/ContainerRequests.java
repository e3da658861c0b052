package io.crisp.core.convert;

import io.crisp.core.oci.ContainerSettings;
import io.crisp.core.oci.ResourceSettings;
import io.crisp.cri.v1.CreateContainerRequest;
import io.crisp.cri.v1.CreateContainerResponse;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.ExecSyncResponse;
import io.crisp.cri.v1.StopContainerRequest;
import io.crisp.cri.v1.UpdateContainerResourcesRequest;
import io.crisp.spi.BackendException;
import io.crisp.spi.model.ExecResult;
import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.List;

/**
 * CRI container requests to core arguments, refusing what is missing or out of range with the
 * field's name (INVALID_ARGUMENT), and the ExecSync answer back.
 */
public final class ContainerRequests {
    /** A checked CreateContainer request. */
    public record Create(String podSandboxId, ContainerSettings settings) {}

    /** A checked StopContainer request. */
    public record Stop(String containerId, Duration timeout) {}

    /** A checked ExecSync request. */
    public record ExecSync(String containerId, List<String> command, Duration timeout) {}

    /** A checked CheckpointContainer request: the archive's path as given (CheckpointService checks it), a timeout of 0 for none. */
    public record Checkpoint(String containerId, String location, Duration timeout) {}

    /** A checked UpdateContainerResources request. */
    public record Update(String containerId, ResourceSettings resources) {}

    private ContainerRequests() {}

    /** The {@code container_id} of a request (Start, Remove, Status, ReopenLog, Stats...). */
    public static String containerId(String id) {
        return Fields.required(id, "container_id");
    }

    public static Create create(CreateContainerRequest request) {
        String sandbox = SandboxRequests.podSandboxId(request.getPodSandboxId());
        if (!request.hasConfig()) {
            throw BackendException.invalidArgument("config: a CreateContainer request needs a ContainerConfig");
        }
        return new Create(sandbox, ContainerSettingsFromCri.from(request.getConfig()));
    }

    public static CreateContainerResponse created(String containerId) {
        return CreateContainerResponse.newBuilder().setContainerId(containerId).build();
    }

    public static Stop stop(StopContainerRequest request) {
        Duration timeout = timeout(request.getTimeout());
        return new Stop(containerId(request.getContainerId()), timeout);
    }

    public static Checkpoint checkpoint(io.crisp.cri.v1.CheckpointContainerRequest request) {
        return new Checkpoint(containerId(request.getContainerId()), request.getLocation(), timeout(request.getTimeout()));
    }

    public static ExecSync execSync(ExecSyncRequest request) {
        String id = containerId(request.getContainerId());
        List<String> command = command(request.getCmdList());
        return new ExecSync(id, command, timeout(request.getTimeout()));
    }

    public static ExecSyncResponse execSync(ExecResult result) {
        return ExecSyncResponse.newBuilder().setExitCode(result.exitCode())
                .setStdout(ByteString.copyFrom(result.stdout())).setStderr(ByteString.copyFrom(result.stderr())).build();
    }

    public static Update update(UpdateContainerResourcesRequest request) {
        String id = containerId(request.getContainerId());
        if (!request.hasLinux()) {
            throw BackendException.invalidArgument("linux: UpdateContainerResources needs linux resources");
        }
        return new Update(id, ContainerSettingsFromCri.resources(request.getLinux()));
    }

    /** The command of an ExecSync or Exec request: at least the program. */
    static List<String> command(List<String> cmd) {
        if (cmd.isEmpty()) {
            throw BackendException.invalidArgument("cmd: a command is required");
        }
        return cmd;
    }

    private static Duration timeout(long seconds) {
        return Duration.ofSeconds(Fields.notNegative(seconds, "timeout"));
    }
}
