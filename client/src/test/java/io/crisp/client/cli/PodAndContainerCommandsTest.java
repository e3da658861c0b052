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

    /** The action a containers command line selects, parsed. */
    @SuppressWarnings("unchecked")
    private static <T> T action(String... args) {
        CommandLine cli = new CommandLine(ContainersCommand.class);
        return (T) cli.parseArgs(java.util.Arrays.copyOfRange(args, 1, args.length)).subcommand().commandSpec().userObject();
    }

    @Test
    void containersRunTakesTheCommandAfterTheDoubleDash() {
        ContainersCommand.Run cmd = action("containers", "run", "pod1", "--name", "web",
                "--image", "localhost/crisp/busybox:latest", "--env", "A=1", "--env", "B=x=y", "--workdir", "/www",
                "--label", "app=web", "--", "sh", "-c", "echo hi; httpd -f -p 8080");
        ContainerConfig config = ContainersCommand.createRequest(cmd, "pod1-full").getConfig();
        assertEquals("pod1-full", ContainersCommand.createRequest(cmd, "pod1-full").getPodSandboxId());
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
        ContainersCommand.Run cmd = action("containers", "create", "pod1", "--name", "c", "--image", "busybox");
        assertFalse(cmd.start(), "create does not start");
        ContainerConfig config = ContainersCommand.createRequest(cmd, "pod1").getConfig();
        assertTrue(config.getCommandList().isEmpty());
        assertFalse(config.hasLinux());
        var missing = assertThrows(CommandLine.MissingParameterException.class, () -> action("containers", "run", "pod1", "--image", "busybox"));
        assertEquals("Missing required option: '--name=<name>'", missing.getMessage());
        assertThrows(CommandLine.MissingParameterException.class, () -> action("containers", "run", "pod1", "--name", "c"));
        ContainersCommand.Run noEquals = action("containers", "run", "pod1", "--name", "c", "--image", "i", "--env", "NOEQUALS");
        assertThrows(CriCall.UsageException.class, () -> ContainersCommand.createRequest(noEquals, "pod1"));
    }

    @Test
    void containersExecAndLsFlags() {
        ContainersCommand.Exec exec = action("containers", "exec", "c1", "--timeout", "5", "--", "sh", "-c", "id");
        assertEquals("c1", exec.id);
        assertEquals(List.of("sh", "-c", "id"), exec.command);
        assertEquals(5L, exec.timeout);
        ContainersCommand.Ls ls = action("containers", "ls", "-a", "--pod", "p1", "-o", "json");
        assertTrue(ls.all);
        assertEquals("p1", ls.pod);
        assertEquals(Output.json, ls.output);
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
