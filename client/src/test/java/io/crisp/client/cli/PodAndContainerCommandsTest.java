package io.crisp.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.cri.v1.ContainerConfig;
import io.crisp.cri.v1.KeyValue;
import io.crisp.cri.v1.NamespaceMode;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.RunPodSandboxRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The pods and containers command lines, parsed without a daemon or a launcher. */
final class PodAndContainerCommandsTest {
    /** Parses {@code args} as the launcher would, after its own word (pods, containers). */
    private static <T> T parse(Class<T> type, String... args) {
        CommandLine cli = new CommandLine(type);
        cli.parseArgs(java.util.Arrays.copyOfRange(args, 1, args.length));
        return type.cast(cli.getCommand());
    }

    @Test
    void podsRunBuildsTheSandboxConfig() {
        PodsCommand cmd = parse(PodsCommand.class, "pods", "run", "web", "--namespace", "demo", "--uid", "u1", "--host-network",
                "--runtime", "kata", "--label", "app=web", "--label", "tier=front");
        RunPodSandboxRequest request = cmd.runRequest();
        PodSandboxConfig config = request.getConfig();
        assertEquals("kata", request.getRuntimeHandler());
        assertEquals("web", config.getMetadata().getName());
        assertEquals("demo", config.getMetadata().getNamespace());
        assertEquals("u1", config.getMetadata().getUid());
        assertEquals("web", config.getHostname());
        assertEquals("/var/log/pods/demo_web_u1", config.getLogDirectory());
        assertEquals(Map.of("app", "web", "tier", "front"), config.getLabelsMap());
        assertEquals(NamespaceMode.NODE, config.getLinux().getSecurityContext().getNamespaceOptions().getNetwork());
    }

    @Test
    void podsRunDefaults() {
        RunPodSandboxRequest request = parse(PodsCommand.class, "pods", "run", "quickstart").runRequest();
        PodSandboxConfig config = request.getConfig();
        assertEquals("default", config.getMetadata().getNamespace());
        UUID.fromString(config.getMetadata().getUid());
        assertEquals("/var/log/pods/default_quickstart_" + config.getMetadata().getUid(), config.getLogDirectory());
        assertEquals(NamespaceMode.POD, config.getLinux().getSecurityContext().getNamespaceOptions().getNetwork());
        assertEquals("", request.getRuntimeHandler());
        assertEquals("/l", parse(PodsCommand.class, "pods", "run", "p", "--log-dir", "/l").runRequest().getConfig().getLogDirectory());
    }

    @Test
    void podsRunRefusesBadLabelsAndMissingName() {
        assertThrows(CriCall.UsageException.class, () -> parse(PodsCommand.class, "pods", "run", "p", "--label", "novalue").runRequest());
        assertThrows(CriCall.UsageException.class, () -> parse(PodsCommand.class, "pods", "run").runRequest());
    }

    @Test
    void containersRunTakesTheCommandAfterTheDoubleDash() {
        ContainersCommand cmd = parse(ContainersCommand.class, "containers", "run", "pod1", "--name", "web",
                "--image", "localhost/crisp/busybox:latest", "--env", "A=1", "--env", "B=x=y", "--workdir", "/www",
                "--label", "app=web", "--", "sh", "-c", "echo hi; httpd -f -p 8080");
        ContainerConfig config = cmd.createRequest("pod1-full").getConfig();
        assertEquals("pod1-full", cmd.createRequest("pod1-full").getPodSandboxId());
        assertEquals("web", config.getMetadata().getName());
        assertEquals("localhost/crisp/busybox:latest", config.getImage().getImage());
        assertEquals(List.of("sh", "-c", "echo hi; httpd -f -p 8080"), config.getCommandList());
        assertEquals(List.of(KeyValue.newBuilder().setKey("A").setValue("1").build(), KeyValue.newBuilder().setKey("B").setValue("x=y").build()),
                config.getEnvsList());
        assertEquals("/www", config.getWorkingDir());
        assertEquals(Map.of("app", "web"), config.getLabelsMap());
        assertEquals("web/0.log", config.getLogPath());
    }

    @Test
    void containersRunWithoutACommandUsesTheImages() {
        ContainersCommand cmd = parse(ContainersCommand.class, "containers", "create", "pod1", "--name", "c", "--image", "busybox");
        ContainerConfig config = cmd.createRequest("pod1").getConfig();
        assertTrue(config.getCommandList().isEmpty());
        assertFalse(config.hasLinux());
        assertThrows(CriCall.UsageException.class,
                () -> parse(ContainersCommand.class, "containers", "run", "pod1", "--image", "busybox").createRequest("pod1"));
        assertThrows(CriCall.UsageException.class,
                () -> parse(ContainersCommand.class, "containers", "run", "pod1", "--name", "c").createRequest("pod1"));
        assertThrows(CriCall.UsageException.class, () -> parse(ContainersCommand.class, "containers", "run", "pod1", "--name", "c",
                "--image", "i", "--env", "NOEQUALS").createRequest("pod1"));
    }

    @Test
    void containersExecAndLsFlags() {
        ContainersCommand exec = parse(ContainersCommand.class, "containers", "exec", "c1", "--timeout", "5", "--", "sh", "-c", "id");
        assertEquals(List.of("c1", "sh", "-c", "id"), exec.args);
        assertEquals(5L, exec.timeout);
        ContainersCommand ls = parse(ContainersCommand.class, "containers", "ls", "-a", "--pod", "p1");
        assertTrue(ls.all);
        assertEquals("p1", ls.pod);
        PodsCommand pods = parse(PodsCommand.class, "pods", "ls", "-q", "--name", "quickstart", "--label", "a=b");
        assertTrue(pods.quiet);
        assertEquals("quickstart", pods.name);
        assertEquals(List.of("a=b"), pods.labels);
    }

    @Test
    void unknownActionsAreRefused() {
        CommandLine cli = new CommandLine(PodsCommand.class);
        cli.setErr(new PrintWriter(new StringWriter()));
        assertEquals(ExitCodes.CONFIG, cli.execute("frobnicate"));
    }
}
