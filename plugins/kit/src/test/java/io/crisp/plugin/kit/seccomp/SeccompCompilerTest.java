package io.crisp.plugin.kit.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles profiles and loads them for real: crisp-seccomp (built from src/main/go) loads the
 * filter and execs static busybox under it, whose syscalls then meet the kernel's verdict.
 */
class SeccompCompilerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path BUSYBOX = Path.of("/bin/busybox");

    @TempDir
    static Path dir;
    private static Path loader;

    @BeforeAll
    static void installLoader() throws IOException {
        loader = dir.resolve("crisp-seccomp");
        Files.write(loader, SeccompLoader.binary());
        Files.setPosixFilePermissions(loader, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private record Run(int exit, String output) {}

    private static Run run(String profile, String... command) throws Exception {
        return runWith(List.of(), SeccompCompiler.compile(JSON.readTree(profile)), command);
    }

    private static Run runWith(List<String> options, SeccompCompiler.Filter filter, String... command) throws Exception {
        if (!Files.isExecutable(BUSYBOX)) {
            if ("true".equals(System.getenv("CI"))) {
                fail("the seccomp tests need " + BUSYBOX + " (busybox-static)");
            }
            assumeTrue(false, "no " + BUSYBOX);
        }
        Path file = Files.createTempFile(dir, "filter", ".bpf");
        Files.write(file, filter.program());
        List<String> argv = new ArrayList<>(List.of(loader.toString()));
        argv.addAll(options);
        argv.addAll(List.of("--flags", Integer.toString(filter.flags()), file.toString(), "--", BUSYBOX.toString()));
        argv.addAll(List.of(command));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the command did not end");
        return new Run(p.exitValue(), out);
    }

    @Test
    void aDenyListBlocksItsSyscallsWithTheProfilesErrno() throws Exception {
        Path made = dir.resolve("made"), blocked = dir.resolve("blocked");
        String profile = """
                {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
                 "syscalls": [{"names": ["mkdir", "mkdirat", "no_such_syscall"], "action": "SCMP_ACT_ERRNO",
                               "errnoRet": 95}]}""";
        Run denied = run(profile, "mkdir", blocked.toString());
        assertNotEquals(0, denied.exit(), denied.output());
        assertTrue(denied.output().contains("Operation not supported"), denied.output());
        assertTrue(Files.notExists(blocked));

        Run allowed = run(profile, "touch", made.toString());
        assertEquals(0, allowed.exit(), allowed.output());
        assertTrue(Files.exists(made));
        Run status = run(profile, "grep", "Seccomp:", "/proc/self/status");
        assertTrue(status.output().matches("(?s)Seccomp:\\s+2\\s*"), status.output());
    }

    @Test
    void anAllowListWithADefaultErrnoLetsOnlyItsSyscallsThrough() throws Exception {
        // Every x86_64 syscall but mkdir/mkdirat is allowed; those get the default errno.
        String names = SyscallTable.x86_64().keySet().stream().filter(n -> !n.startsWith("mkdir"))
                .map(n -> '"' + n + '"').collect(Collectors.joining(","));
        String profile = "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 13,"
                + " \"syscalls\": [{\"names\": [" + names + "], \"action\": \"SCMP_ACT_ALLOW\"}]}";
        Run denied = run(profile, "mkdir", dir.resolve("nope").toString());
        assertTrue(denied.output().contains("Permission denied"), denied.output());
        Run allowed = run(profile, "echo", "hello");
        assertEquals(new Run(0, "hello\n"), allowed);
    }

    @Test
    void argumentConditionsCompareAll64Bits() throws Exception {
        Path file = Files.writeString(dir.resolve("modes"), "x");
        // chmod(path, mode) and fchmodat(dirfd, path, mode): setuid bits refused; fchmodat only when
        // dirfd is AT_FDCWD (-100, whose high word is all ones); modes over 0777 with EACCES.
        String profile = """
                {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                  {"names": ["chmod"], "action": "SCMP_ACT_ERRNO",
                   "args": [{"index": 1, "value": 2048, "valueTwo": 2048, "op": "SCMP_CMP_MASKED_EQ"}]},
                  {"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO",
                   "args": [{"index": 0, "value": 18446744073709551516, "op": "SCMP_CMP_EQ"},
                            {"index": 2, "value": 2048, "valueTwo": 2048, "op": "SCMP_CMP_MASKED_EQ"}]},
                  {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
                   "args": [{"index": 1, "value": 511, "op": "SCMP_CMP_GT"}]},
                  {"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
                   "args": [{"index": 2, "value": 511, "op": "SCMP_CMP_GT"}]}]}""";
        Run setuid = run(profile, "chmod", "4755", file.toString());
        assertTrue(setuid.output().contains("Operation not permitted"), setuid.output());
        Run sticky = run(profile, "chmod", "1755", file.toString());
        assertTrue(sticky.output().contains("Permission denied"), sticky.output());
        Run plain = run(profile, "chmod", "0640", file.toString());
        assertEquals(0, plain.exit(), plain.output());
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void everyOperatorComparesAsLibseccompDoes() throws Exception {
        Path file = Files.writeString(dir.resolve("ops"), "x");
        // chmod(path, mode): mode 0600, 0640, 0700 against 0640; a rule's match is EACCES.
        long[] modes = {0600, 0640, 0700};
        java.util.Map<String, String> expected = java.util.Map.of("SCMP_CMP_EQ", "-b-", "SCMP_CMP_NE", "a-c",
                "SCMP_CMP_LT", "a--", "SCMP_CMP_LE", "ab-", "SCMP_CMP_GE", "-bc", "SCMP_CMP_GT", "--c");
        for (var e : expected.entrySet()) {
            String profile = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"chmod\"],"
                    + " \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13, \"args\": [{\"index\": 1, \"value\": 416,"
                    + " \"op\": \"" + e.getKey() + "\"}]}]}";
            StringBuilder blocked = new StringBuilder();
            for (int m = 0; m < modes.length; m++) {
                Run r = run(profile, "chmod", Long.toOctalString(modes[m]), file.toString());
                blocked.append(r.exit() != 0 && r.output().contains("Permission denied") ? (char) ('a' + m) : '-');
            }
            assertEquals(e.getValue(), blocked.toString(), e.getKey());
        }
        // The high word decides first: every mode is below 2^32, none above it.
        String lt = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"chmod\"],"
                + " \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1, \"value\": 4294967296, \"op\": \"%s\"}]}]}";
        assertTrue(run(lt.formatted("SCMP_CMP_LT"), "chmod", "0600", file.toString()).output()
                .contains("Operation not permitted"));
        assertEquals(0, run(lt.formatted("SCMP_CMP_GE"), "chmod", "0600", file.toString()).exit());
    }

    @Test
    void killProcessEndsTheCommandWithSigsys() throws Exception {
        String profile = """
                {"defaultAction": "SCMP_ACT_ALLOW",
                 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}""";
        Run killed = run(profile, "mkdir", dir.resolve("killed").toString());
        assertEquals(128 + 31, killed.exit(), killed.output());
    }

    @Test
    void theLoaderSetsNoNewPrivsWhenAsked() throws Exception {
        SeccompCompiler.Filter allowAll = SeccompCompiler.compile(JSON.readTree("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}"));
        Run with = runWith(List.of("--no-new-privs"), allowAll, "grep", "NoNewPrivs:", "/proc/self/status");
        assertTrue(with.output().matches("(?s)NoNewPrivs:\\s+1\\s*"), with.output());
        Run without = runWith(List.of(), allowAll, "grep", "NoNewPrivs:", "/proc/self/status");
        assertTrue(without.output().matches("(?s)NoNewPrivs:\\s+0\\s*"), without.output());
    }

    @Test
    void theLoaderReportsAMissingCommandWith127() throws Exception {
        Path file = Files.write(dir.resolve("allow.bpf"),
                SeccompCompiler.compile(JSON.readTree("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}")).program());
        Process p = new ProcessBuilder(loader.toString(), file.toString(), "--", "no-such-command-anywhere")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(127, p.waitFor(), out);
        assertTrue(out.contains("not found"), out);
    }

    @Test
    void whatCannotBeCompiledIsRefusedByName() throws IOException {
        assertRefused("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/run/agent.sock\"}",
                "linux.seccomp.listenerPath");
        assertRefused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
                + " \"action\": \"SCMP_ACT_NOTIFY\"}]}", "linux.seccomp.syscalls[0].action SCMP_ACT_NOTIFY");
        assertRefused("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_AARCH64\"]}",
                "SCMP_ARCH_X86_64");
        assertRefused("{\"defaultAction\": \"SCMP_ACT_MAYBE\"}", "linux.seccomp.defaultAction");
        assertRefused("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"],"
                + " \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                "linux.seccomp.syscalls[0].args[0].index");
        assertRefused("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"],"
                + " \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_SIMILAR\"}]}]}",
                "linux.seccomp.syscalls[0].args[0].op");
        assertRefused("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"]}",
                "linux.seccomp.flags SECCOMP_FILTER_FLAG_NEW_LISTENER");
        // Too long for the kernel: 2100 conditional rules.
        StringBuilder many = new StringBuilder("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [");
        for (int i = 0; i < 2100; i++) {
            many.append(i == 0 ? "" : ",").append("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\":"
                    + " [{\"index\": 0, \"value\": ").append(i).append(", \"op\": \"SCMP_CMP_EQ\"}]}");
        }
        assertRefused(many.append("]}").toString(), "BPF instructions");
    }

    private static void assertRefused(String profile, String naming) throws IOException {
        JsonNode node = JSON.readTree(profile);
        BackendException e = assertThrows(BackendException.class, () -> SeccompCompiler.compile(node));
        assertTrue(e.getMessage().contains(naming), e.getMessage());
    }
}
