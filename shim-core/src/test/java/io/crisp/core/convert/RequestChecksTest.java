package io.crisp.core.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.stream.session.ExecTarget;
import io.crisp.core.stream.session.PortForwardTarget;
import io.crisp.cri.v1.AttachRequest;
import io.crisp.cri.v1.ContainerConfig;
import io.crisp.cri.v1.CreateContainerRequest;
import io.crisp.cri.v1.ExecRequest;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.LinuxContainerResources;
import io.crisp.cri.v1.PortForwardRequest;
import io.crisp.cri.v1.StopContainerRequest;
import io.crisp.cri.v1.UpdateContainerResourcesRequest;
import io.crisp.spi.BackendException;
import io.crisp.spi.model.StdioWiring;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The request checks of ContainerRequests and StreamRequests: INVALID_ARGUMENT, the message starting with the field. */
final class RequestChecksTest {
    private static void refused(Executable call, String field) {
        BackendException e = assertThrows(BackendException.class, call);
        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().startsWith(field), e.getMessage());
    }

    @Test
    void idsMustNotBeEmpty() {
        refused(() -> ContainerRequests.containerId(""), "container_id");
        refused(() -> SandboxRequests.podSandboxId(""), "pod_sandbox_id");
        assertEquals("abc", ContainerRequests.containerId("abc"));
    }

    @Test
    void containerRequests() {
        refused(() -> ContainerRequests.create(CreateContainerRequest.newBuilder().setConfig(ContainerConfig.getDefaultInstance()).build()),
                "pod_sandbox_id");
        refused(() -> ContainerRequests.create(CreateContainerRequest.newBuilder().setPodSandboxId("p").build()), "config");
        refused(() -> ContainerRequests.stop(StopContainerRequest.newBuilder().setContainerId("c").setTimeout(-1).build()), "timeout");
        refused(() -> ContainerRequests.stop(StopContainerRequest.getDefaultInstance()), "container_id");
        assertEquals(new ContainerRequests.Stop("c", Duration.ofSeconds(5)),
                ContainerRequests.stop(StopContainerRequest.newBuilder().setContainerId("c").setTimeout(5).build()));
        refused(() -> ContainerRequests.execSync(ExecSyncRequest.newBuilder().setContainerId("c").build()), "cmd");
        refused(() -> ContainerRequests.execSync(ExecSyncRequest.newBuilder().setContainerId("c").addCmd("ls").setTimeout(-2).build()),
                "timeout");
        assertEquals(new ContainerRequests.ExecSync("c", List.of("ls"), Duration.ZERO),
                ContainerRequests.execSync(ExecSyncRequest.newBuilder().setContainerId("c").addCmd("ls").build()));
        refused(() -> ContainerRequests.update(UpdateContainerResourcesRequest.newBuilder().setContainerId("c").build()), "linux");
        refused(() -> ContainerRequests.update(UpdateContainerResourcesRequest.newBuilder().setContainerId("c")
                .setLinux(LinuxContainerResources.newBuilder().setOomScoreAdj(5000)).build()), "linux.oom_score_adj");
    }

    @Test
    void execAndAttachShareTheStreamChecks() {
        ExecRequest.Builder exec = ExecRequest.newBuilder().setContainerId("c").addCmd("sh");
        refused(() -> StreamRequests.exec(exec.clone().setContainerId("").setStdout(true).build()), "container_id");
        refused(() -> StreamRequests.exec(ExecRequest.newBuilder().setContainerId("c").setStdout(true).build()), "cmd");
        refused(() -> StreamRequests.exec(exec.build()), "stdin, stdout, stderr");
        refused(() -> StreamRequests.exec(exec.clone().setTty(true).setStdout(true).setStderr(true).build()), "tty, stderr");
        assertEquals(new ExecTarget("c", List.of("sh"), new StdioWiring(true, true, false, true)),
                StreamRequests.exec(exec.clone().setStdin(true).setStdout(true).setTty(true).build()));

        AttachRequest.Builder attach = AttachRequest.newBuilder().setContainerId("c");
        refused(() -> StreamRequests.attach(AttachRequest.newBuilder().setStdout(true).build()), "container_id");
        refused(() -> StreamRequests.attach(attach.build()), "stdin, stdout, stderr");
        refused(() -> StreamRequests.attach(attach.clone().setTty(true).setStdout(true).setStderr(true).build()), "tty, stderr");
    }

    @Test
    void portForwardPortsAreInRange() {
        refused(() -> StreamRequests.portForward(PortForwardRequest.newBuilder().addPort(80).build()), "pod_sandbox_id");
        refused(() -> StreamRequests.portForward(PortForwardRequest.newBuilder().setPodSandboxId("p").addPort(0).build()), "port");
        refused(() -> StreamRequests.portForward(PortForwardRequest.newBuilder().setPodSandboxId("p").addPort(65536).build()), "port");
        assertEquals(new PortForwardTarget("p", List.of(1, 65535)),
                StreamRequests.portForward(PortForwardRequest.newBuilder().setPodSandboxId("p").addPort(1).addPort(65535).build()));
    }
}
