package io.crisp.core.it;

import static io.crisp.cri.v1.ContainerState.CONTAINER_EXITED;
import static io.crisp.cri.v1.ContainerState.CONTAINER_RUNNING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.ReopenContainerLogRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator does with {@code crisp containers} instead of crictl, against a real daemon
 * running busybox under runc: logs with --tail, --since, --timestamps and -f across the log
 * rotation the kubelet does (rename, then ReopenContainerLog); exec with stdin piped, with a
 * terminal (under script(1), which gives the CLI a pty) and attach.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
final class ContainersCliIT {
    private Path dir;
    private TestNetwork network;
    private DaemonProcess daemon;
    private CriClient client;
    private PodSandboxConfig pod;
    private String podId;

    @BeforeAll
    void startPod(@TempDir Path tmp) {
        dir = tmp;
        network = TestNetwork.create(dir);
        daemon = Pods.daemon(dir.resolve("daemon"), network);
        client = daemon.client();
        pod = Pods.pod("cli", dir.resolve("logs")).build();
        podId = Pods.run(client, pod);
    }

    @AfterAll
    void stopPod() {
        try {
            if (client != null) {
                Pods.removeAll(client);
            }
        } finally {
            if (daemon != null) {
                daemon.close();
            }
            if (network != null) {
                network.close();
            }
        }
    }

    private List<String> crisp(String... args) {
        // After the action, before its arguments (and any --).
        List<String> command = new ArrayList<>(List.of(args));
        command.addAll(2, List.of("-l", "unix://" + daemon.socket));
        return command;
    }

    private Crisp.Run run(String... args) {
        return Crisp.run(crisp(args));
    }

    @Test
    void logsTailSinceAndTimestamps() throws Exception {
        String id = Pods.createAndStart(client, podId, pod, Pods.container("lines", "sh", "-c",
                "echo one; sleep 0.3; echo two >&2; sleep 0.3; echo three; sleep 2; echo four").build());
        Pods.awaitState(client, id, CONTAINER_EXITED, 20);
        Crisp.Run all = run("containers", "logs", id);
        assertEquals(0, all.exitCode(), all.all());
        assertEquals("one\nthree\nfour\n", all.stdout());
        assertEquals("two\n", all.stderr());
        // --tail counts the log file's lines, stdout and stderr alike, as the kubelet does.
        Crisp.Run tail = run("containers", "logs", "--tail", "2", id);
        assertEquals("three\nfour\n", tail.stdout(), tail.all());
        assertEquals("", tail.stderr());
        Crisp.Run tail3 = run("containers", "logs", "--tail", "3", id);
        assertEquals("two\n", tail3.stderr(), tail3.all());
        Crisp.Run stamped = run("containers", "logs", "--timestamps", id);
        List<String> lines = stamped.stdout().lines().toList();
        assertEquals(3, lines.size(), stamped.all());
        Pattern rfc3339 = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?(Z|[+-]\\d\\d:\\d\\d)) (one|three|four)$");
        for (String line : lines) {
            assertTrue(rfc3339.matcher(line).matches(), line);
        }
        // The two seconds between three and four separate the two halves: since a time after three.
        Instant three = Instant.parse(lines.get(1).substring(0, lines.get(1).indexOf(' ')));
        Crisp.Run since = run("containers", "logs", "--since", three.plusMillis(500).toString(), id);
        assertEquals("four\n", since.stdout(), since.all());
        Crisp.Run recent = run("containers", "logs", "--since", "10m", id);
        assertEquals("one\nthree\nfour\n", recent.stdout(), recent.all());
        Crisp.Run bad = run("containers", "logs", "--since", "yesterday", id);
        assertEquals(2, bad.exitCode(), bad.all());
        assertTrue(bad.stderr().contains("--since"), bad.stderr());
    }

    @Test
    void logsFollowSurvivesRotationAndEndsWithTheContainer() throws Exception {
        String id = Pods.createAndStart(client, podId, pod, Pods.container("ticker", "sh", "-c",
                "i=0; while [ $i -lt 40 ]; do echo line$i; i=$((i+1)); sleep 0.2; done").build());
        Pods.awaitState(client, id, CONTAINER_RUNNING, 20);
        Path out = dir.resolve("follow.out");
        Process follow = new ProcessBuilder(launcher(crisp("containers", "logs", "-f", id)))
                .redirectOutput(out.toFile()).redirectError(dir.resolve("follow.err").toFile()).start();
        Path log = Path.of(Pods.status(client, id).getLogPath());
        Pods.await(() -> read(out).contains("line5\n"), 20, "the follower to print line5: " + read(out));
        // The kubelet's rotation: rename the file, then ask the runtime to reopen the path.
        Files.move(log, log.resolveSibling("0.log.20260101-000000"));
        client.runtime().reopenContainerLog(ReopenContainerLogRequest.newBuilder().setContainerId(id).build());
        assertTrue(follow.waitFor(60, TimeUnit.SECONDS), "follow ends when the container exits: " + read(out));
        assertEquals(0, follow.exitValue(), read(dir.resolve("follow.err")));
        String expected = IntStream.range(0, 40).mapToObj(i -> "line" + i + "\n").reduce("", String::concat);
        assertEquals(expected, read(out), "every line once, in order, across the rotation");
        assertTrue(Files.size(log) > 0, "the container wrote on into the reopened file");
    }

    @Test
    void execWithStdinPipedAndItsExitCode() throws Exception {
        String id = Pods.createAndStart(client, podId, pod, Pods.container("sleeper", "sleep", "1000").build());
        Pods.awaitState(client, id, CONTAINER_RUNNING, 20);
        Process exec = new ProcessBuilder(launcher(crisp("containers", "exec", "-i", id, "--", "sh", "-c",
                "tr a-z A-Z; echo to-stderr >&2; exit 3"))).redirectError(dir.resolve("exec.err").toFile()).start();
        exec.getOutputStream().write("hello stdin\n".getBytes(StandardCharsets.UTF_8));
        exec.getOutputStream().close(); // EOF: tr ends
        String stdout = new String(exec.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(exec.waitFor(30, TimeUnit.SECONDS));
        assertEquals("HELLO STDIN\n", stdout);
        assertEquals("to-stderr\n", read(dir.resolve("exec.err")));
        assertEquals(3, exec.exitValue(), "the command's exit code");
    }

    @Test
    void execWithATerminal() throws Exception {
        Crisp.requireExecutable(Path.of("/usr/bin/script"), "to give the CLI a terminal (bsdutils)");
        String id = Pods.createAndStart(client, podId, pod, Pods.container("tty-target", "sleep", "1000").build());
        Pods.awaitState(client, id, CONTAINER_RUNNING, 20);
        // script(1) runs the CLI on a pty of its own; the CLI puts it in raw mode and asks for one in the container.
        // The size travels on the resize stream, beside the command's start: the command waits for it to arrive.
        String cli = String.join(" ", launcher(crisp("containers", "exec", "-it", id, "--", "sh", "-c",
                "'tty; i=0; while [ $i -lt 25 ]; do s=$(stty size 2>/dev/null); [ \"$s\" = \"33 91\" ] && break; i=$((i+1)); sleep 0.2; done; echo size $s; exit 5'")));
        Process script = new ProcessBuilder("script", "-qec", "stty cols 91 rows 33; " + cli, "/dev/null")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(script.waitFor(30, TimeUnit.SECONDS));
        assertTrue(out.contains("/dev/pts/"), "the command runs on a terminal: " + out);
        assertTrue(out.contains("size 33 91"), "the terminal has the CLI's size: " + out);
        assertEquals(5, script.exitValue(), out);
    }

    @Test
    void attachToAContainersStdin() throws Exception {
        Crisp.Run created = run("containers", "run", podId, "--name", "attached", "--image", Pods.BUSYBOX, "-i", "--",
                "sh", "-c", "read line; echo got:$line; echo bye >&2");
        assertEquals(0, created.exitCode(), created.all());
        String id = created.stdout().trim();
        Pods.awaitState(client, id, CONTAINER_RUNNING, 20);
        Process attach = new ProcessBuilder(launcher(crisp("containers", "attach", "-i", id)))
                .redirectError(dir.resolve("attach.err").toFile()).start();
        attach.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
        attach.getOutputStream().flush();
        String stdout = new String(attach.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(attach.waitFor(30, TimeUnit.SECONDS));
        assertEquals("got:hello\n", stdout);
        assertEquals("bye\n", read(dir.resolve("attach.err")));
        assertEquals(0, attach.exitValue());
    }

    private static List<String> launcher(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Crisp.LAUNCHER.toString());
        command.addAll(args);
        return command;
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }
}
