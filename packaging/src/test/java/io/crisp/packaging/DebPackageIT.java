package io.crisp.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The .deb the build made, read with dpkg-deb, then installed the way a user installs it
 * ({@code apt-get install ./crisp_*.deb}) into a fresh Debian 12 root made by debootstrap: apt pulls
 * in the dependencies, the daemon starts from the installed files the README's way without systemd
 * and answers Version through its socket, an upgrade keeps an edited crisp.toml, and a purge leaves
 * nothing. The tests run in order on one root.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
final class DebPackageIT {
    private static final String VERSION = System.getProperty("crisp.version");
    private static final Path TARGET = Path.of(System.getProperty("crisp.target"));
    private static Path deb;
    /** The package's Version: the project version (jdeb turns a -SNAPSHOT suffix into ~..., which sorts before the release). */
    private static String debVersion;
    private static final Path PACKAGING = Path.of(System.getProperty("crisp.packaging"));
    private static final Path DIST = PACKAGING.resolve("../shim-core/target/crisp").normalize();
    private static final Path CACHE = Path.of(System.getenv().getOrDefault("CRISP_CI_CACHE", "/var/cache/crisp-ci/deb"));
    /** What apt must bring in: the Depends (a JRE 17 through default-jre-headless) and the Recommends. */
    private static final List<String> PULLED_IN = List.of("runc", "conmon", "openjdk-17-jre-headless",
            "containernetworking-plugins", "iptables", "containerd");

    private static DebRoot root;

    @BeforeAll
    static void prerequisites() throws Exception {
        String missing = "";
        if (!"root".equals(System.getProperty("user.name"))) {
            missing += " root";
        }
        for (String tool : List.of("/usr/bin/dpkg-deb", "/usr/bin/unshare", "/usr/sbin/chroot", "/usr/sbin/debootstrap")) {
            if (!Files.isExecutable(Path.of(tool))) {
                missing += " " + tool;
            }
        }
        if (!missing.isEmpty()) {
            if ("true".equals(System.getenv("CI"))) {
                fail("the package tests need:" + missing + " (.ci/run installs debootstrap)");
            }
            assumeTrue(false, "package tests skipped, missing:" + missing);
        }
        try (Stream<Path> built = Files.list(TARGET)) {
            // The newest, should an earlier version's package still lie there.
            deb = built.filter(p -> p.getFileName().toString().matches("crisp_.+_all\\.deb"))
                    .max(Comparator.comparing(p -> p.toFile().lastModified())).orElse(null);
        } catch (IOException e) {
            deb = null;
        }
        assertTrue(deb != null, "the build made no crisp_*_all.deb in " + TARGET);
        debVersion = field("Version");
    }

    @AfterAll
    static void removeRoot() throws Exception {
        if (root != null) {
            root.close();
            assertFalse(Files.exists(root.dir), "the throwaway root was not removed: " + root.dir);
        }
    }

    @Test
    @Order(1)
    void controlFieldsAndConffiles() throws Exception {
        assertEquals("crisp", field("Package"));
        String release = VERSION.replace("-SNAPSHOT", "");
        assertTrue(debVersion.equals(VERSION) || VERSION.endsWith("-SNAPSHOT") && debVersion.startsWith(release + "~"), debVersion);
        assertEquals("crisp_" + debVersion + "_all.deb", deb.getFileName().toString());
        assertEquals("all", field("Architecture"));
        // golang-github-containers-common: /etc/containers/policy.json, without which every pull is refused (as in CRI-O).
        assertEquals("runc, conmon, default-jre-headless (>= 2:1.17) | java17-runtime-headless, containernetworking-plugins, iptables,"
                + " golang-github-containers-common", field("Depends"));
        assertEquals("containerd", field("Recommends"));
        assertEquals("/etc/crisp/crisp.toml", dpkgDeb("--info", deb.toString(), "conffiles").strip());
        for (String script : List.of("postinst", "prerm", "postrm")) {
            assertTrue(dpkgDeb("--info", deb.toString()).contains(script), "no " + script);
        }
    }

    @Test
    @Order(2)
    void fileListIsTheInstallLayout() throws Exception {
        Set<String> files = new TreeSet<>();
        String listing = dpkgDeb("--contents", deb.toString());
        for (String line : listing.split("\n")) {
            String name = line.substring(line.indexOf("./") + 1);
            files.add(name.contains(" -> ") ? name : name.replaceAll("/$", ""));
        }
        // The JARs and plugins exactly as the build lays them out in shim-core/target/crisp.
        assertEquals(jars(DIST.resolve("lib"), "/usr/lib/crisp/lib/"), matching(files, "/usr/lib/crisp/lib/"),
                "lib/ differs from " + DIST.resolve("lib") + " (a stale JAR there? mvn clean)");
        assertEquals(jars(DIST.resolve("plugins"), "/usr/lib/crisp/plugins/"), matching(files, "/usr/lib/crisp/plugins/"));
        assertTrue(files.contains("/usr/lib/crisp/lib/crisp-shim-core-" + VERSION + ".jar"), listing);
        assertTrue(listing.lines().anyMatch(l -> l.startsWith("-rwxr-xr-x root/root") && l.endsWith(" ./usr/lib/crisp/bin/crisp")),
                "the launcher is not an executable of root's: " + listing);
        assertTrue(files.contains("/usr/bin/crisp -> ../lib/crisp/bin/crisp"), listing);
        for (String f : List.of("/etc/crisp/crisp.toml", "/etc/crisp/crisp.toml.d", "/lib/systemd/system/crisp.service",
                "/usr/share/crisp/runtimeclass/runc.yaml", "/usr/share/crisp/runtimeclass/kata.yaml",
                "/usr/share/crisp/runtimeclass/lxc.yaml", "/usr/share/crisp/runtimeclass/nspawn.yaml",
                "/usr/share/crisp/crisp.toml.d/50-kata.toml.example", "/usr/share/crisp/crisp.toml.d/50-lxc.toml.example",
                "/usr/share/crisp/crisp.toml.d/50-nspawn.toml.example", "/usr/share/crisp/cni/10-crisp-bridge.conflist",
                "/usr/share/crisp/kubelet/crictl.yaml", "/usr/share/crisp/kubelet/kubelet-config.yaml",
                "/usr/share/doc/crisp/README.md")) {
            assertTrue(files.contains(f), "no " + f + " in\n" + listing);
        }
        assertFalse(files.stream().anyMatch(f -> f.startsWith("/etc/cni")), "the CNI config is postinst's, not a packaged file");
        assertFalse(files.stream().anyMatch(f -> f.endsWith(".jsa")), "the CDS archive is made at install");
    }

    @Test
    @Order(3)
    void aptInstallsItWithItsDependencies() throws Exception {
        DebRoot.Result made = DebRoot.host(List.of(PACKAGING.resolve("deb/bookworm-root.sh").toString()), 900);
        assertTrue(made.ok(), made.output());
        Path base = Path.of(made.output().strip().lines().reduce((a, b) -> b).orElseThrow());
        root = DebRoot.copyOf(base, CACHE.resolve("archives"));
        for (String pkg : PULLED_IN) {
            assertFalse(installed(pkg), pkg + " is in the base root already: the test would prove nothing");
        }
        Files.copy(deb, root.path("/tmp/" + deb.getFileName()));
        DebRoot.Result apt = aptInstall("/tmp/" + deb.getFileName());
        assertTrue(apt.ok(), apt.output());
        assertTrue(apt.output().contains("crisp: installed the default pod network"), apt.output());
        for (String pkg : PULLED_IN) {
            assertTrue(installed(pkg), pkg + " not installed by apt:\n" + apt.output());
        }
        assertTrue(root.run(30, "apt-mark", "showauto").output().lines().toList().containsAll(PULLED_IN),
                "apt did not install the dependencies as such");
        assertEquals("install ok installed " + debVersion, query("${Status} ${Version}", "crisp"));
        assertTrue(query("${Conffiles}", "crisp").strip().startsWith("/etc/crisp/crisp.toml "), query("${Conffiles}", "crisp"));
        for (String f : root.run(30, "dpkg", "-L", "crisp").output().split("\n")) {
            assertTrue(Files.exists(root.path(f), java.nio.file.LinkOption.NOFOLLOW_LINKS), "dpkg lists " + f + " but it is missing");
        }
        assertEquals(Files.readString(PACKAGING.resolve("config/crisp.toml")), Files.readString(root.path("/etc/crisp/crisp.toml")));
        assertEquals(Files.readString(PACKAGING.resolve("cni/10-crisp-bridge.conflist")),
                Files.readString(root.path("/etc/cni/net.d/10-crisp-bridge.conflist")));
        assertTrue(Files.size(root.path("/usr/lib/crisp/lib/crisp.jsa")) > 1_000_000, "postinst recorded no CDS archive");
        assertTrue(root.processes().isEmpty(), "the install left processes running: " + root.processes());
    }

    @Test
    @Order(4)
    void theDaemonStartsFromTheInstalledFilesAndAnswersVersion() throws Exception {
        assumeTrue(root != null, "no root: the install test failed");
        startDaemon();
        DebRoot.Result plugins = root.run(60, "crisp", "plugins");
        assertTrue(plugins.ok(), plugins.output());
        for (Path jar : files(DIST.resolve("plugins"))) {
            assertTrue(plugins.output().contains("/usr/lib/crisp/plugins/" + jar.getFileName()), plugins.output());
        }
        assertTrue(plugins.output().lines().anyMatch(l -> l.matches("runc +runc +yes +yes .*")),
                "the default handler runc is not ready:\n" + plugins.output());
        long pid = Long.parseLong(Files.readString(root.path("/run/crisp/crisp.pid")).strip());
        String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
        assertTrue(cmdline.contains("-Dcrisp.home=/usr/lib/crisp ") && cmdline.contains("-XX:SharedArchiveFile=/usr/lib/crisp/lib/crisp.jsa"),
                cmdline);
        assertTrue(root.processes().contains(pid), "the daemon does not run inside the root");
    }

    @Test
    @Order(5)
    void anUpgradeKeepsTheEditedConfiguration() throws Exception {
        assumeTrue(root != null, "no root: the install test failed");
        Path config = root.path("/etc/crisp/crisp.toml");
        Files.writeString(config, Files.readString(config).replace("log_level = \"info\"", "log_level = \"debug\""));
        Path dropIn = root.path("/etc/crisp/crisp.toml.d/20-node.toml");
        Files.writeString(dropIn, "[image]\nmax_concurrent_downloads = 5\n");
        String edited = Files.readString(config);
        assertTrue(edited.contains("log_level = \"debug\""));

        // The same package as a newer version: what an upgrade from the archive looks like to dpkg.
        String newer = debVersion + "+ci1";
        Path unpacked = Files.createTempDirectory("crisp-deb-upgrade-");
        try {
            dpkgDeb("--raw-extract", deb.toString(), unpacked.toString());
            Path control = unpacked.resolve("DEBIAN/control");
            Files.writeString(control, Files.readString(control).replace("Version: " + debVersion + "\n", "Version: " + newer + "\n"));
            dpkgDeb("--build", "-Zgzip", unpacked.toString(), root.path("/tmp/crisp_" + newer + "_all.deb").toString());
        } finally {
            DebRoot.host(List.of("rm", "-rf", unpacked.toString()), 60);
        }
        DebRoot.Result apt = aptInstall("/tmp/crisp_" + newer + "_all.deb");
        assertTrue(apt.ok(), apt.output());
        assertEquals("install ok installed " + newer, query("${Status} ${Version}", "crisp"));
        assertEquals(edited, Files.readString(config), "the upgrade replaced the edited crisp.toml");
        assertTrue(Files.exists(dropIn), "the upgrade removed a drop-in");
        try (Stream<Path> etc = Files.list(root.path("/etc/crisp"))) {
            assertEquals(List.of("crisp.toml", "crisp.toml.d"), etc.map(p -> p.getFileName().toString()).sorted().toList(),
                    "leftovers such as crisp.toml.dpkg-new");
        }
        assertFalse(apt.output().contains("installed the default pod network"), "postinst rewrote the CNI config: " + apt.output());
        // The running daemon still answers; restarted, it runs on the upgraded files with the edit in force.
        assertTrue(root.run(60, "crisp", "stop").ok());
        startDaemon();
        DebRoot.Result config2 = root.run(60, "crisp", "config");
        assertTrue(config2.output().contains("log_level = \"debug\""), config2.output());
        assertTrue(config2.output().contains("max_concurrent_downloads = 5"), config2.output());
    }

    @Test
    @Order(6)
    void aPurgeLeavesNothing() throws Exception {
        assumeTrue(root != null, "no root: the install test failed");
        assertFalse(root.processes().isEmpty(), "the daemon should be running when the package goes");
        DebRoot.Result purge = root.run(300, "dpkg", "--purge", "crisp");
        assertTrue(purge.ok(), purge.output());
        assertTrue(root.processes().isEmpty(), "prerm did not stop the daemon: " + purge.output());
        assertFalse(query("${Status}", "crisp").contains("installed"), query("${Status}", "crisp"));
        for (String gone : List.of("/etc/crisp", "/usr/lib/crisp", "/usr/bin/crisp", "/usr/share/crisp", "/usr/share/doc/crisp",
                "/lib/systemd/system/crisp.service", "/var/lib/crisp", "/run/crisp", "/var/log/crisp.log", "/var/log/crisp.out",
                "/etc/cni/net.d/10-crisp-bridge.conflist")) {
            assertFalse(Files.exists(root.path(gone), java.nio.file.LinkOption.NOFOLLOW_LINKS), gone + " is left after purge");
        }
        // Anything else named after crisp, outside /tmp (the .deb files) and the kernel's file systems.
        DebRoot.Result left = root.sh(120, "find / -xdev \\( -path /tmp -o -path /proc -o -path /sys -o -path /dev -o -path /var/cache/apt/archives \\) -prune "
                + "-o -iname '*crisp*' -print");
        assertEquals("", left.output().strip(), "left after purge");
    }

    private static DebRoot.Result aptInstall(String deb) throws Exception {
        String install = "DEBIAN_FRONTEND=noninteractive apt-get install -y -q " + deb;
        DebRoot.Result apt = root.sh(900, install);
        if (!apt.ok() && apt.output().contains("Failed to fetch")) {
            // The cached lists name a version the mirror no longer has: fetch them anew once.
            DebRoot.Result update = root.run(300, "apt-get", "update", "-q");
            assertTrue(update.ok(), update.output());
            apt = root.sh(900, install);
        }
        return apt;
    }

    /** Starts the daemon as README "Without systemd" says and waits until Version answers through its socket. */
    private static void startDaemon() throws Exception {
        DebRoot.Result start = root.sh(30,
                "setsid crisp serve --log-file /var/log/crisp.log </dev/null >>/var/log/crisp.out 2>&1 &");
        assertTrue(start.ok(), start.output());
        String expected = "daemon: crisp " + VERSION + " (CRI v1) on unix:///run/crisp/crisp.sock";
        long deadline = System.nanoTime() + 90_000_000_000L;
        DebRoot.Result version;
        do {
            version = root.run(60, "crisp", "version");
            if (version.ok() && version.output().lines().anyMatch(expected::equals)) {
                return;
            }
            Thread.sleep(500);
        } while (System.nanoTime() < deadline);
        fail("no Version answer through /run/crisp/crisp.sock: " + version.output() + "\ncrisp.out:\n"
                + readIfThere(root.path("/var/log/crisp.out")) + "\ncrisp.log:\n" + readIfThere(root.path("/var/log/crisp.log")));
    }

    private static String readIfThere(Path p) throws IOException {
        return Files.exists(p) ? Files.readString(p) : "(none)";
    }

    private static boolean installed(String pkg) throws Exception {
        return query("${Status}", pkg).equals("install ok installed");
    }

    private static String query(String format, String pkg) throws Exception {
        return root.run(30, "dpkg-query", "-W", "-f=" + format, pkg).output().strip();
    }

    private static String field(String name) throws Exception {
        return dpkgDeb("--field", deb.toString(), name).strip();
    }

    private static String dpkgDeb(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("dpkg-deb"));
        argv.addAll(List.of(args));
        DebRoot.Result r = DebRoot.host(argv, 120);
        assertTrue(r.ok(), argv + ": " + r.output());
        return r.output();
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        }
    }

    private static Set<String> jars(Path dir, String prefix) throws IOException {
        return files(dir).stream().map(p -> prefix + p.getFileName()).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<String> matching(Set<String> files, String prefix) {
        return files.stream().filter(f -> f.startsWith(prefix) && f.length() > prefix.length())
                .collect(Collectors.toCollection(TreeSet::new));
    }
}
