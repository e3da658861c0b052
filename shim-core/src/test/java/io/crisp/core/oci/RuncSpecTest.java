package io.crisp.core.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs generated specs with the real runc: a busybox infra process, then a container that joins it
 * as a non-root user from the image's passwd, with the default capabilities and seccomp profile, and
 * prints what it sees. Needs root and runc; skipped without them, except with CI=true where it fails.
 */
final class RuncSpecTest {
    private static final String SANDBOX = "crisp-test-sb-" + ProcessHandle.current().pid();
    private static final String CONTAINER = "crisp-test-ctr-" + ProcessHandle.current().pid();

    @TempDir
    Path tmp;
    private Path mnt;
    private Path runcRoot;
    private boolean mounted;

    @BeforeEach
    void needRootAndRunc() throws Exception {
        boolean ready = isRoot() && onPath("runc") && Files.isRegularFile(Path.of("/bin/busybox"));
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(ready, "CI=true: this test needs root, runc and /bin/busybox");
        }
        assumeTrue(ready, "needs root, runc and /bin/busybox");
        mnt = Files.createDirectories(tmp.resolve("mnt"));
        assertEquals(0, run(List.of("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mnt.toString()), null));
        mounted = true;
        runcRoot = Files.createDirectories(mnt.resolve("runc"));
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (!mounted) {
            return;
        }
        for (String id : List.of(CONTAINER, SANDBOX)) {
            run(List.of("runc", "--root", runcRoot.toString(), "delete", "-f", id), null);
        }
        run(List.of("umount", "-l", mnt.toString()), null);
        for (File controller : new File("/sys/fs/cgroup").listFiles()) {
            new File(controller, "crisp-runc-test").delete();
        }
    }

    @Test
    void aContainerJoinsTheInfraAndRunsAsTheImageUser() throws Exception {
        Path rootfs = busyboxRootfs(mnt.resolve("rootfs"));
        PodSettings pod = new PodSettings("web", "default", "uid-1", 0, "testpod", "/var/log/pods/x",
                new DnsSettings(List.of("10.0.0.10"), List.of("svc.cluster.local"), List.of("ndots:5")), Map.of(),
                Map.of("a", "b"), "/crisp-runc-test", Map.of("net.ipv4.ping_group_range", "0 2147483647"),
                NamespaceMode.POD, NamespaceMode.POD, NamespaceMode.POD, -1, -1, false, List.of(), false,
                new SecurityProfile(SecurityProfile.Kind.RUNTIME_DEFAULT, "", ""), SecurityProfile.UNCONFINED,
                ResourceSettings.NONE, ResourceSettings.NONE);
        PodFiles files = PodFiles.write(mnt.resolve("pod"), pod, "testpod");
        OciSpecs specs = new OciSpecs(CgroupDriver.CGROUPFS);

        ImageConfigSummary pause = new ImageConfigSummary("", List.of(), List.of("/bin/sleep"), List.of("1000"), "", "",
                List.of(), Map.of());
        Path sandboxBundle = Files.createDirectories(mnt.resolve("sandbox"));
        OciSpecs.write(sandboxBundle, specs.sandbox(SANDBOX, pod, pause, rootfs, files));
        Path pidFile = mnt.resolve("sandbox.pid");
        int rc = run(List.of("runc", "--root", runcRoot.toString(), "run", "-d", "--bundle", sandboxBundle.toString(),
                "--pid-file", pidFile.toString(), SANDBOX), mnt.resolve("sandbox.out"));
        String infraOut = read(mnt.resolve("sandbox.out"));
        assertEquals(0, rc, () -> "runc run -d of the infra failed: " + infraOut);
        long infraPid = Long.parseLong(Files.readString(pidFile).trim());

        ContainerSecurity security = new ContainerSecurity(List.of(), List.of(), List.of(), false, -1, -1, "app", false,
                List.of(3000L), true, List.of(), List.of(), new SecurityProfile(SecurityProfile.Kind.RUNTIME_DEFAULT, "", ""),
                new SecurityProfile(SecurityProfile.Kind.RUNTIME_DEFAULT, "", ""));
        ContainerSettings container = new ContainerSettings("main", 0, "busybox:latest",
                List.of("sh", "-c", "id; hostname; cat /etc/resolv.conf; cat /proc/sys/net/ipv4/ping_group_range;"
                        + " echo shm > /dev/shm/x && cat /dev/shm/x; echo pid1=$(cat /proc/1/comm);"
                        + " unshare -U true 2>/dev/null; echo unshare=$?; cat /proc/self/status"),
                List.of(), "", List.of(new EnvVar("GREETING", "hi")), List.of(), List.of(), Map.of(), Map.of(), "", false,
                false, false, "", NamespaceMode.POD, "", ResourceSettings.NONE, security);
        ImageConfigSummary image = new ImageConfigSummary("", List.of("PATH=/bin"), List.of(), List.of("sh"), "/", "",
                List.of(), Map.of());
        Path bundle = Files.createDirectories(mnt.resolve("ctr"));
        ObjectNode spec = specs.container(CONTAINER, SANDBOX, pod, container, image, rootfs, files, infraPid, -1);
        OciSpecs.write(bundle, spec);
        Path out = mnt.resolve("ctr.out");
        rc = run(List.of("runc", "--root", runcRoot.toString(), "run", "--bundle", bundle.toString(), CONTAINER), out);
        String output = read(out);
        assertEquals(0, rc, () -> "runc run of the container failed: " + output);
        assertTrue(output.contains("uid=1000(app) gid=1000(app)"), output);
        assertTrue(output.contains("2000(extra)") && output.contains("3000"), output);
        assertTrue(output.contains("\ntestpod\n"), output);
        assertTrue(output.contains("nameserver 10.0.0.10") && output.contains("search svc.cluster.local"), output);
        assertTrue(output.contains("0\t2147483647") || output.contains("0 2147483647"), output);
        assertTrue(output.contains("\nshm\n"), output);
        assertTrue(output.contains("pid1=sleep"), output);
        assertTrue(output.contains("Seccomp:\t2"), "the default seccomp profile is loaded: " + output);
        assertTrue(output.contains("NoNewPrivs:\t1"), output);
        assertTrue(output.contains("unshare=1"), "the seccomp profile refuses new user namespaces: " + output);
        // The default set (0xa80425fb), limited by what the test itself may hold.
        String bounding = String.format("CapBnd:\t%016x", 0xa80425fbL & ownBoundingSet());
        assertTrue(output.contains(bounding), "want " + bounding + " (the default capability set): " + output);
        assertTrue(Files.exists(files.shm().resolve("x")), "the pod's shm directory is the container's /dev/shm");
    }

    /**
     * RuntimeDefault is an allow list: unshare (new user namespace) and keyctl fail with EPERM while a
     * shell, ls, sleep, httpd and wget to loopback work; the same container unconfined can make both
     * calls, so the profile is what refuses them. busybox has no keyctl applet: a tiny static Go program
     * built here makes the call (keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING)).
     */
    @Test
    void runtimeDefaultSeccompAllowsBusyboxAndRefusesUnshareAndKeyctl() throws Exception {
        boolean go = onPath("go");
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(go, "CI=true: this test needs go (golang-go) to build its keyctl probe");
        }
        assumeTrue(go, "needs go to build the keyctl probe");
        Path rootfs = busyboxRootfs(mnt.resolve("rootfs"));
        Files.setPosixFilePermissions(rootfs.resolve("tmp"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        Path source = Files.writeString(tmp.resolve("keyctl.go"), """
                package main

                import (
                	"fmt"
                	"os"
                	"syscall"
                )

                func main() {
                	// KEYCTL_GET_KEYRING_ID (0) of KEY_SPEC_SESSION_KEYRING (-3), creating none.
                	_, _, errno := syscall.RawSyscall(syscall.SYS_KEYCTL, 0, ^uintptr(2), 0)
                	if errno != 0 {
                		fmt.Println("keyctl:", errno.Error())
                		os.Exit(1)
                	}
                	fmt.Println("keyctl: ok")
                }
                """);
        ProcessBuilder build = new ProcessBuilder("go", "build", "-o", rootfs.resolve("bin/keyctl").toString(), source.toString())
                .redirectErrorStream(true);
        build.environment().put("CGO_ENABLED", "0");
        build.environment().put("GO111MODULE", "off");
        Process p = build.start();
        String buildOut = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS) && p.exitValue() == 0, "go build of the keyctl probe: " + buildOut);

        PodSettings pod = new PodSettings("sec", "default", "uid-2", 0, "secpod", "/var/log/pods/y",
                new DnsSettings(List.of(), List.of(), List.of()), Map.of(), Map.of(), "/crisp-runc-test", Map.of(),
                NamespaceMode.POD, NamespaceMode.POD, NamespaceMode.POD, -1, -1, false, List.of(), false,
                new SecurityProfile(SecurityProfile.Kind.RUNTIME_DEFAULT, "", ""), SecurityProfile.UNCONFINED,
                ResourceSettings.NONE, ResourceSettings.NONE);
        PodFiles files = PodFiles.write(mnt.resolve("pod"), pod, "secpod");
        OciSpecs specs = new OciSpecs(CgroupDriver.CGROUPFS);
        ImageConfigSummary pause = new ImageConfigSummary("", List.of(), List.of("/bin/sleep"), List.of("1000"), "", "",
                List.of(), Map.of());
        Path sandboxBundle = Files.createDirectories(mnt.resolve("sandbox"));
        OciSpecs.write(sandboxBundle, specs.sandbox(SANDBOX, pod, pause, rootfs, files));
        Path pidFile = mnt.resolve("sandbox.pid");
        assertEquals(0, run(List.of("runc", "--root", runcRoot.toString(), "run", "-d", "--bundle", sandboxBundle.toString(),
                "--pid-file", pidFile.toString(), SANDBOX), mnt.resolve("sandbox.out")), () -> read(mnt.resolve("sandbox.out")));
        long infraPid = Long.parseLong(Files.readString(pidFile).trim());

        String script = "ls / > /dev/null; echo ls=$?; sleep 0.1; echo sleep=$?; mkdir -p /tmp/www;"
                + " echo page > /tmp/www/index.html; httpd -f -p 127.0.0.1:8080 -h /tmp/www & pid=$!; sleep 0.5;"
                + " wget -q -O - http://127.0.0.1:8080/index.html; echo wget=$?; kill $pid;"
                + " unshare -U true 2>/dev/null; echo unshare=$?; keyctl; echo keyctl=$?";
        ImageConfigSummary image = new ImageConfigSummary("", List.of("PATH=/bin"), List.of(), List.of("sh"), "/", "",
                List.of(), Map.of());
        for (SecurityProfile.Kind kind : List.of(SecurityProfile.Kind.RUNTIME_DEFAULT, SecurityProfile.Kind.UNCONFINED)) {
            ContainerSecurity security = new ContainerSecurity(List.of(), List.of(), List.of(), false, 1000, -1, "", false,
                    List.of(), true, List.of(), List.of(), new SecurityProfile(kind, "", ""), SecurityProfile.UNCONFINED);
            ContainerSettings container = new ContainerSettings("probe", 0, "busybox:latest", List.of("sh", "-c", script),
                    List.of(), "", List.of(), List.of(), List.of(), Map.of(), Map.of(), "", false, false, false, "",
                    NamespaceMode.POD, "", ResourceSettings.NONE, security);
            Path bundle = Files.createDirectories(mnt.resolve("ctr-" + kind));
            OciSpecs.write(bundle, specs.container(CONTAINER, SANDBOX, pod, container, image, rootfs, files, infraPid, -1));
            Path out = mnt.resolve("ctr-" + kind + ".out");
            int rc = run(List.of("runc", "--root", runcRoot.toString(), "run", "--bundle", bundle.toString(), CONTAINER), out);
            String output = read(out);
            run(List.of("runc", "--root", runcRoot.toString(), "delete", "-f", CONTAINER), null);
            assertEquals(0, rc, () -> "runc run with " + kind + ": " + output);
            assertTrue(output.contains("ls=0\n") && output.contains("sleep=0\n"), kind + ": " + output);
            assertTrue(output.contains("page\nwget=0\n"), kind + ": wget from httpd on loopback: " + output);
            if (kind == SecurityProfile.Kind.RUNTIME_DEFAULT) {
                assertTrue(output.contains("unshare=1\n"), "RuntimeDefault refuses unshare: " + output);
                assertTrue(output.contains("keyctl: operation not permitted\nkeyctl=1\n"), "RuntimeDefault refuses keyctl: " + output);
            } else {
                assertTrue(output.contains("unshare=0\n"), "unconfined, unshare works: " + output);
                assertTrue(output.contains("keyctl: ok\nkeyctl=0\n"), "unconfined, keyctl works: " + output);
            }
        }
    }

    private static Path busyboxRootfs(Path rootfs) throws IOException {
        Files.createDirectories(rootfs.resolve("bin"));
        for (String dir : List.of("proc", "sys", "dev", "etc", "tmp", "home/app")) {
            Files.createDirectories(rootfs.resolve(dir));
        }
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
        for (String tool : List.of("sh", "sleep", "cat", "id", "hostname", "ls", "echo", "unshare", "true", "mkdir", "httpd",
                "wget", "kill")) {
            Files.createSymbolicLink(rootfs.resolve("bin").resolve(tool), Path.of("busybox"));
        }
        Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
        Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\napp:x:1000:\nextra:x:2000:app\n");
        return rootfs;
    }

    private static int run(List<String> command, Path output) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (output == null) {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
        } else {
            pb.redirectOutput(output.toFile()).redirectErrorStream(true);
        }
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static long ownBoundingSet() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("CapBnd:"))
                .map(l -> Long.parseUnsignedLong(l.substring(7).trim(), 16)).findFirst().orElse(-1L);
    }

    private static boolean isRoot() throws Exception {
        Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        return p.waitFor() == 0 && out.equals("0");
    }

    private static boolean onPath(String tool) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin"));
        return dirs.stream().anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }
}
