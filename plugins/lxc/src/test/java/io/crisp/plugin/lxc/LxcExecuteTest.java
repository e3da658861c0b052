package io.crisp.plugin.lxc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.spi.testing.BusyboxBundles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The translation run by the real lxc-execute: what the process sees is what config.json asked for. */
final class LxcExecuteTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Path dir;

    @BeforeEach
    void prerequisites() throws Exception {
        LxcTestSupport.requirePrerequisites();
        dir = Files.createTempDirectory("crisp-lxc-exec-");
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (dir != null) {
            LxcTestSupport.removeLxcLocks(dir.resolve("lxc"));
        }
        LxcTestSupport.deleteTree(dir);
        BusyboxBundles.removeCgroupParent();
    }

    @Test
    void theProcessGetsItsArgvEnvCwdHostnameMountsLimitsAndSeccomp() throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("b"));
        BusyboxBundles.sandbox(bundle, "lxc-exec-1");
        ObjectNode spec = (ObjectNode) JSON.readTree(bundle.resolve("config.json").toFile());
        ArrayNode args = ((ObjectNode) spec.get("process")).putArray("args");
        args.add("sh").add("-c").add("echo \"[$1]\" \"[$2]\"; echo $GREETING; pwd; cat /proc/sys/kernel/hostname;"
                + " cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || grep memory /proc/self/cgroup;"
                + " hostname other 2>&1; echo x > /proc/sys/kernel/domainname 2>&1 || echo ro-proc-sys; cat /proc/kcore | wc -c;"
                + " exit 3").add("argv0").add("a  b").add("");
        ObjectNode linux = (ObjectNode) spec.get("linux");
        linux.putObject("resources").putObject("memory").put("limit", 64L << 20);
        ObjectNode seccomp = linux.putObject("seccomp").put("defaultAction", "SCMP_ACT_ALLOW");
        ObjectNode rule = seccomp.putArray("syscalls").addObject().put("action", "SCMP_ACT_ERRNO").put("errnoRet", 1);
        rule.putArray("names").add("sethostname");
        ObjectNode personality = ((ArrayNode) seccomp.get("syscalls")).addObject().put("action", "SCMP_ACT_ERRNO");
        personality.putArray("names").add("personality");
        personality.putArray("args").addObject().put("index", 0).put("value", 8).put("op", "SCMP_CMP_EQ");
        JSON.writeValue(bundle.resolve("config.json").toFile(), spec);
        Files.createDirectories(bundle.resolve("rootfs/bin"));
        Files.createSymbolicLink(bundle.resolve("rootfs/bin/hostname"), Path.of("busybox"));
        Files.createSymbolicLink(bundle.resolve("rootfs/bin/grep"), Path.of("busybox"));

        LxcTranslator.Target target = new LxcTranslator.Target("lxc-exec-1", bundle, LxcTestSupport.adapter(dir),
                dir.resolve("oom"), p -> p);
        LxcTranslator.LxcBundle translated = LxcTranslator.translate(spec, target, LxcHost.system());
        LxcBundleFiles.write(bundle, translated);
        List<String> command = new ArrayList<>(List.of("lxc-execute", "-P", dir.resolve("lxc").toString(), "-n",
                "lxc-exec-1", "-f", bundle.resolve(LxcBundleFiles.CONFIG).toString(), "--"));
        command.addAll(translated.argv());
        Files.createDirectories(dir.resolve("lxc"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(3, p.exitValue(), out + "\n" + String.join("\n", translated.config()));
        List<String> lines = out.lines().toList();
        assertEquals("[a  b] []", lines.get(0), "argv kept exactly: " + out);
        assertEquals("hello from env", lines.get(1), out);
        assertEquals("/tmp", lines.get(2), out);
        assertEquals("contract", lines.get(3), out);
        assertTrue(out.contains(Long.toString(64L << 20)) || out.contains("crisp-contract/lxc-exec-1"), "its cgroup: " + out);
        assertTrue(out.contains("Operation not permitted"), "seccomp denies sethostname: " + out);
        assertTrue(out.contains("ro-proc-sys"), "/proc/sys is read-only: " + out);
        assertEquals("0", lines.get(lines.size() - 1).trim(), "/proc/kcore is masked: " + out);
    }

    @Test
    void aContainerJoinsASandboxesNetworkAndIpcNamespaces() throws Exception {
        Path sb = Files.createDirectories(dir.resolve("s"));
        BusyboxBundles.sandbox(sb, "lxc-exec-s");
        LxcTestSupport.Running sandbox = LxcTestSupport.execute(dir, sb, "lxc-exec-s", LxcHost.system());
        try {
            long init = sandbox.awaitInit();
            Path cb = Files.createDirectories(dir.resolve("c"));
            BusyboxBundles.container(cb, "lxc-exec-c", "lxc-exec-s", OptionalLong.of(init),
                    "for n in net ipc uts; do readlink /proc/self/ns/$n; done", false);
            LxcTestSupport.Running c = LxcTestSupport.execute(dir, cb, "lxc-exec-c", LxcHost.system());
            assertEquals(0, c.await(), c::outputNow);
            String expected = String.join("\n", List.of(link(init, "net"), link(init, "ipc"), link(init, "uts")));
            assertEquals(expected, c.output().trim());
        } finally {
            sandbox.kill();
        }
    }

    private static String link(long pid, String ns) throws Exception {
        return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/" + ns)).toString();
    }
}
