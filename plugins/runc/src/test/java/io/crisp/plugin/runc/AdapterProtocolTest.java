package io.crisp.plugin.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.crisp.plugin.kit.conmon.ConmonBackend;
import io.crisp.spi.BackendException;
import io.crisp.spi.StdioSession;
import io.crisp.spi.model.ExecResult;
import io.crisp.spi.model.ExecSpec;
import io.crisp.spi.model.SandboxState;
import io.crisp.spi.model.StdioWiring;
import io.crisp.spi.model.StreamExecSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The adapter protocol ({@link ConmonBackend}'s javadoc) as conmon and the backend really speak it:
 * runc behind a wrapper that logs who calls it, its arguments and the environment conmon sets.
 */
final class AdapterProtocolTest {
    private RuncFixture fx;
    private Path calls;

    @BeforeEach
    void setUp() throws IOException {
        TestBundles.requirePrerequisites();
        Path dir = Files.createTempDirectory("crisp-adapter-");
        calls = dir.resolve("calls");
        Path wrapper = dir.resolve("runc-logged");
        Files.writeString(wrapper, "#!/bin/sh\n"
                + "line=\"$(cat /proc/$PPID/comm)\"; for a; do line=\"$line $a\"; done\n"
                + "printf '%s | _OCI_SYNCPIPE=%s\\n' \"$line\" \"${_OCI_SYNCPIPE:-}\" >> " + calls + "\n"
                + "case \" $* \" in *' create '*) if [ -e " + calls + ".fail ]; then echo 'adapter: cannot create' >&2; exit 1; fi;; esac\n"
                + "exec " + TestBundles.RUNC + " \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
        fx = new RuncFixture(wrapper);
    }

    @AfterEach
    void tearDown() throws IOException {
        if (fx != null) {
            fx.close();
            RuncFixture.removeParentCgroups();
            Files.deleteIfExists(calls);
            Files.deleteIfExists(calls.resolveSibling("runc-logged"));
            Files.deleteIfExists(calls.getParent());
        }
    }

    @Test
    void everyCallThatReachesTheProgram() throws Exception {
        ConmonBackend backend = fx.backend();
        String sb = fx.newId("sb");
        SandboxState s = fx.sandbox(backend, sb);
        String c = fx.newId("c");
        fx.container(backend, c, sb, s.pid(), "sleep 1000", 0, true, false, true);
        backend.startContainer(c);
        ExecResult r = backend.execSync(new ExecSpec(c, List.of("echo", "hi"), Duration.ofSeconds(10), false,
                ExecSpec.CRI_MAX_OUTPUT_BYTES, ""));
        assertEquals("hi\n", new String(r.stdout(), StandardCharsets.UTF_8));
        try (StdioSession tty = backend.exec(new StreamExecSpec(c, List.of("true"), new StdioWiring(false, true, false, true)))) {
            tty.exit().get(10, TimeUnit.SECONDS);
        }
        backend.updateContainerResources(c, "{\"memory\":{\"limit\":104857600}}");
        backend.stopContainer(c, 15, Duration.ofSeconds(1));
        backend.removeContainer(c);
        backend.stopSandbox(sb, Duration.ofSeconds(10));
        backend.removeSandbox(sb);

        Files.writeString(calls.resolveSibling("calls.fail"), "");
        String bad = fx.newId("bad");
        BackendException e = assertThrows(BackendException.class, () -> fx.sandbox(backend, bad));
        assertEquals("container " + bad + ": runtime create failed: adapter: cannot create", e.getMessage(),
                "conmon passes what create wrote on stderr");
        Files.delete(calls.resolveSibling("calls.fail"));

        String state = fx.stateDir + "/objects/";
        String root = fx.config.runtimeRoot().toString();
        List<String> log = Files.readAllLines(calls).stream()
                .filter(l -> !l.startsWith("java --version"))
                .map(l -> l.replaceAll("--console-socket \\S+", "--console-socket SOCKET")
                        .replaceAll("exec-[0-9a-f-]+\\.pid", "exec-UUID.pid")
                        .replace(state, "S/").replace(root, "ROOT").replace(fx.base.toString(), "B")
                        .replace(sb, "SB").replace(c, "C").replace(bad, "BAD"))
                .toList();
        List<String> created = List.of(
                "java features | _OCI_SYNCPIPE=", // the backend's feature probe, once, when it is created
                "conmon --root=ROOT --log=S/SB/runtime.log --log-format=json create --bundle B/SB --pid-file S/SB/pid SB | _OCI_SYNCPIPE=3",
                "java --root ROOT start SB | _OCI_SYNCPIPE=",
                "conmon --root=ROOT --log=S/C/runtime.log --log-format=json create --bundle B/C --pid-file S/C/pid"
                        + " --console-socket SOCKET C | _OCI_SYNCPIPE=3",
                "java --root ROOT start C | _OCI_SYNCPIPE=",
                "java --root ROOT exec --pid-file S/C/exec-UUID.pid C echo hi | _OCI_SYNCPIPE=",
                "java --root ROOT exec --tty --pid-file S/C/exec-UUID.pid C true | _OCI_SYNCPIPE=",
                "java --root ROOT update --resources - C | _OCI_SYNCPIPE=",
                // sleep is the container's pid 1: it ignores SIGTERM, so SIGKILL to all follows the timeout.
                "java --root ROOT kill C 15 | _OCI_SYNCPIPE=",
                "java --root ROOT kill --all C 9 | _OCI_SYNCPIPE=",
                "java --root ROOT delete --force C | _OCI_SYNCPIPE=",
                "java --root ROOT kill SB 15 | _OCI_SYNCPIPE=",
                "java --root ROOT delete --force SB | _OCI_SYNCPIPE=",
                "conmon --root=ROOT --log=S/BAD/runtime.log --log-format=json create --bundle B/BAD --pid-file S/BAD/pid BAD | _OCI_SYNCPIPE=3",
                "java --root ROOT delete --force BAD | _OCI_SYNCPIPE=");
        assertEquals(String.join("\n", created), String.join("\n", log));
    }
}
