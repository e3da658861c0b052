package io.crisp.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

final class ConfigLoaderTest {
    private static final String LOG_LEVELS = "one of trace, debug, info, warn, error";
    private static final String SIZE_RANGE = "an integer from 16777216 to 2147483647";

    @TempDir
    Path dir;

    private Path home() {
        return dir.resolve("home");
    }

    private Path mainFile() {
        return dir.resolve("crisp.toml");
    }

    private Path dropInDir() {
        return dir.resolve("crisp.toml.d");
    }

    private ConfigLoader loader() {
        return new ConfigLoader(home());
    }

    private Path write(Path file, String toml) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, toml);
    }

    private Path dropIn(String name, String toml) throws IOException {
        return write(dropInDir().resolve(name), toml);
    }

    private CrispConfig loadMain(String toml) throws IOException {
        write(mainFile(), toml);
        return loader().load(mainFile(), true, dropInDir(), Map.of());
    }

    private CrispConfig loadFlags(Map<ConfigKey, String> flags) {
        return loader().load(mainFile(), false, dropInDir(), flags);
    }

    /** Writes the main file and returns the message of the ConfigException loading it throws. */
    private String failMain(String toml) throws IOException {
        write(mainFile(), toml);
        return assertThrows(ConfigException.class, () -> loader().load(mainFile(), true, dropInDir(), Map.of())).getMessage();
    }

    // ---- defaults and files ----

    @Test
    void defaultsWhenNoFileAndNotRequired() {
        CrispConfig config = loader().load(dir.resolve("absent.toml"), false, dir.resolve("absent.d"), Map.of());

        assertEquals(Path.of("/var/lib/crisp"), config.root());
        assertEquals(Path.of("/run/crisp"), config.state());
        assertEquals("unix:///run/crisp/crisp.sock", config.listen());
        assertEquals(Path.of("/run/crisp/crisp.sock"), config.socketPath());
        assertEquals("runc", config.defaultRuntime());
        assertEquals("cgroupfs", config.cgroupDriver());
        assertEquals("info", config.logLevel());
        assertEquals(16777216, config.grpcMaxRecvMsgSize());
        assertEquals(home().resolve("plugins"), config.pluginsDir());
        assertEquals(List.of(), config.sources());

        Map<ConfigKey, Object> expected = new EnumMap<>(ConfigKey.class);
        expected.put(ConfigKey.ROOT, Path.of("/var/lib/crisp"));
        expected.put(ConfigKey.STATE, Path.of("/run/crisp"));
        expected.put(ConfigKey.LOG_LEVEL, "info");
        expected.put(ConfigKey.LOG_FILE, "");
        expected.put(ConfigKey.LOG_MAX_SIZE, 10485760L);
        expected.put(ConfigKey.LOG_MAX_FILES, 5L);
        expected.put(ConfigKey.LISTEN, "unix:///run/crisp/crisp.sock");
        expected.put(ConfigKey.GRPC_MAX_RECV_MSG_SIZE, 16777216L);
        expected.put(ConfigKey.DEFAULT_RUNTIME, "runc");
        expected.put(ConfigKey.PLUGINS_DIR, home().resolve("plugins"));
        expected.put(ConfigKey.CGROUP_DRIVER, "cgroupfs");
        expected.put(ConfigKey.CDI_SPEC_DIRS, List.of(Path.of("/etc/cdi"), Path.of("/var/run/cdi")));
        expected.put(ConfigKey.REGISTRIES_CONF, Path.of("/etc/containers/registries.conf"));
        expected.put(ConfigKey.AUTH_FILE, Path.of("/etc/crisp/auth.json"));
        expected.put(ConfigKey.CREDENTIAL_HELPER_TIMEOUT, java.time.Duration.ofSeconds(5));
        expected.put(ConfigKey.CERTS_DIRS, List.of(Path.of("/etc/containers/certs.d"), Path.of("/etc/docker/certs.d")));
        expected.put(ConfigKey.SIGNATURE_POLICY, Path.of("/etc/containers/policy.json"));
        expected.put(ConfigKey.REGISTRIES_D, Path.of("/etc/containers/registries.d"));
        expected.put(ConfigKey.IMAGE_PULL_PROGRESS_TIMEOUT, java.time.Duration.ofMinutes(5));
        expected.put(ConfigKey.IMAGE_PULL_LOG_INTERVAL, java.time.Duration.ofSeconds(10));
        expected.put(ConfigKey.MAX_CONCURRENT_DOWNLOADS, 3L);
        expected.put(ConfigKey.PLATFORM, "linux/amd64");
        expected.put(ConfigKey.PAUSE_IMAGE, "registry.k8s.io/pause:3.10");
        expected.put(ConfigKey.PINNED_IMAGES, List.of());
        expected.put(ConfigKey.CNI_CONF_DIR, Path.of("/etc/cni/net.d"));
        expected.put(ConfigKey.CNI_BIN_DIR, List.of(Path.of("/opt/cni/bin"), Path.of("/usr/lib/cni")));
        expected.put(ConfigKey.STREAM_ADDRESS, "127.0.0.1");
        expected.put(ConfigKey.STREAM_PORT, 0L);
        expected.put(ConfigKey.STREAM_IDLE_TIMEOUT, java.time.Duration.ofHours(4));
        expected.put(ConfigKey.STREAM_TLS_CERT, "");
        expected.put(ConfigKey.STREAM_TLS_KEY, "");
        expected.put(ConfigKey.METRICS_ADDRESS, "127.0.0.1");
        expected.put(ConfigKey.METRICS_PORT, 0L);
        expected.put(ConfigKey.STATS_COLLECT_PERIOD, java.time.Duration.ofSeconds(1));
        assertEquals(expected, config.values());

        assertEquals(Map.of("runc", new RuntimeTable("runc", "runc", Map.of(), Optional.empty())), config.runtimes());
        assertEquals("[runtimes.runc] (built-in default)", config.runtimes().get("runc").origin());
    }

    @Test
    void pluginsDirDefaultIsNormalized() {
        CrispConfig config = new ConfigLoader(dir.resolve("home/bin/..")).load(dir.resolve("absent.toml"), false, dir.resolve("absent.d"), Map.of());
        assertEquals(dir.resolve("home/plugins"), config.pluginsDir());
    }

    @Test
    void requiredMissingFileFailsNamingThePath() {
        Path missing = dir.resolve("etc/crisp/crisp.toml");
        ConfigException e = assertThrows(ConfigException.class, () -> loader().load(missing, true, dropInDir(), Map.of()));
        assertEquals(missing + ": configuration file not found", e.getMessage());
    }

    @Test
    void emptyFileMeansDefaults() throws IOException {
        CrispConfig config = loadMain("");
        assertEquals(loadFlags(Map.of()).values(), config.values());
        assertEquals(List.of(mainFile()), config.sources());
        assertEquals(Optional.empty(), config.runtimes().get("runc").source());
    }

    @Test
    void fullFileMapsEveryKey() throws IOException {
        CrispConfig config = loadMain("""
                root = "/srv/crisp/lib"
                state = "/srv/crisp/run"
                log_level = "debug"
                log_file = "/srv/crisp/crisp.log"
                log_max_size = 1048576
                log_max_files = 3

                [api]
                listen = "unix:///srv/crisp/crisp.sock"
                grpc_max_recv_msg_size = 33554432

                [runtime]
                default_runtime = "kata"
                plugins_dir = "/opt/crisp/plugins"
                cgroup_driver = "systemd"
                cdi_spec_dirs = ["/srv/cdi"]

                [image]
                registries_conf = "/srv/crisp/registries.conf"
                auth_file = "/srv/crisp/auth.json"
                credential_helper_timeout = "1500ms"
                certs_dirs = ["/srv/crisp/certs.d"]
                signature_policy = "/srv/crisp/policy.json"
                registries_d = "/srv/crisp/registries.d"
                image_pull_progress_timeout = "1m30s"
                image_pull_log_interval = "30s"
                max_concurrent_downloads = 5
                platform = "linux/arm64"
                pause_image = "registry.example/pause:1"
                pinned_images = ["registry.example/app:1", "registry.k8s.io/pause*"]

                [network]
                cni_conf_dir = "/srv/cni/conf"
                cni_bin_dir = ["/srv/cni/bin", "/opt/more"]

                [stream]
                stream_address = "10.0.0.5"
                stream_port = 10010
                stream_idle_timeout = "1h"
                stream_tls_cert = "/etc/crisp/stream.crt"
                stream_tls_key = "/etc/crisp/stream.key"

                [metrics]
                metrics_address = "0.0.0.0"
                metrics_port = 9464

                [stats]
                stats_collect_period = "250ms"

                [runtimes.kata]
                plugin = "kata"
                """);

        Map<ConfigKey, Object> expected = new EnumMap<>(ConfigKey.class);
        expected.put(ConfigKey.ROOT, Path.of("/srv/crisp/lib"));
        expected.put(ConfigKey.STATE, Path.of("/srv/crisp/run"));
        expected.put(ConfigKey.LOG_LEVEL, "debug");
        expected.put(ConfigKey.LOG_FILE, "/srv/crisp/crisp.log");
        expected.put(ConfigKey.LOG_MAX_SIZE, 1048576L);
        expected.put(ConfigKey.LOG_MAX_FILES, 3L);
        expected.put(ConfigKey.LISTEN, "unix:///srv/crisp/crisp.sock");
        expected.put(ConfigKey.GRPC_MAX_RECV_MSG_SIZE, 33554432L);
        expected.put(ConfigKey.DEFAULT_RUNTIME, "kata");
        expected.put(ConfigKey.PLUGINS_DIR, Path.of("/opt/crisp/plugins"));
        expected.put(ConfigKey.CGROUP_DRIVER, "systemd");
        expected.put(ConfigKey.CDI_SPEC_DIRS, List.of(Path.of("/srv/cdi")));
        expected.put(ConfigKey.REGISTRIES_CONF, Path.of("/srv/crisp/registries.conf"));
        expected.put(ConfigKey.AUTH_FILE, Path.of("/srv/crisp/auth.json"));
        expected.put(ConfigKey.CREDENTIAL_HELPER_TIMEOUT, java.time.Duration.ofMillis(1500));
        expected.put(ConfigKey.CERTS_DIRS, List.of(Path.of("/srv/crisp/certs.d")));
        expected.put(ConfigKey.SIGNATURE_POLICY, Path.of("/srv/crisp/policy.json"));
        expected.put(ConfigKey.REGISTRIES_D, Path.of("/srv/crisp/registries.d"));
        expected.put(ConfigKey.IMAGE_PULL_PROGRESS_TIMEOUT, java.time.Duration.ofSeconds(90));
        expected.put(ConfigKey.IMAGE_PULL_LOG_INTERVAL, java.time.Duration.ofSeconds(30));
        expected.put(ConfigKey.MAX_CONCURRENT_DOWNLOADS, 5L);
        expected.put(ConfigKey.PLATFORM, "linux/arm64");
        expected.put(ConfigKey.PAUSE_IMAGE, "registry.example/pause:1");
        expected.put(ConfigKey.PINNED_IMAGES, List.of("registry.example/app:1", "registry.k8s.io/pause*"));
        expected.put(ConfigKey.CNI_CONF_DIR, Path.of("/srv/cni/conf"));
        expected.put(ConfigKey.CNI_BIN_DIR, List.of(Path.of("/srv/cni/bin"), Path.of("/opt/more")));
        expected.put(ConfigKey.STREAM_ADDRESS, "10.0.0.5");
        expected.put(ConfigKey.STREAM_PORT, 10010L);
        expected.put(ConfigKey.STREAM_IDLE_TIMEOUT, java.time.Duration.ofHours(1));
        expected.put(ConfigKey.STREAM_TLS_CERT, "/etc/crisp/stream.crt");
        expected.put(ConfigKey.STREAM_TLS_KEY, "/etc/crisp/stream.key");
        expected.put(ConfigKey.METRICS_ADDRESS, "0.0.0.0");
        expected.put(ConfigKey.METRICS_PORT, 9464L);
        expected.put(ConfigKey.STATS_COLLECT_PERIOD, java.time.Duration.ofMillis(250));
        assertEquals(expected, config.values());
        // The file must set every key to a non-default value, or a key added later is untested here.
        for (ConfigKey key : ConfigKey.values()) {
            assertNotEquals(key.defaultValue(home()), config.get(key), key.key());
        }

        assertEquals(Path.of("/srv/crisp/lib"), config.root());
        assertEquals(Path.of("/srv/crisp/run"), config.state());
        assertEquals("debug", config.logLevel());
        assertEquals("unix:///srv/crisp/crisp.sock", config.listen());
        assertEquals(Path.of("/srv/crisp/crisp.sock"), config.socketPath());
        assertEquals(33554432, config.grpcMaxRecvMsgSize());
        assertEquals("kata", config.defaultRuntime());
        assertEquals(Path.of("/opt/crisp/plugins"), config.pluginsDir());
        assertEquals("systemd", config.cgroupDriver());
        assertEquals(Optional.of(new CrispConfig.StreamTls(Path.of("/etc/crisp/stream.crt"), Path.of("/etc/crisp/stream.key"))),
                config.streamTls());
        assertEquals(10010, config.streamPort());
        assertEquals("0.0.0.0", config.metricsAddress());
        assertEquals(9464, config.metricsPort());
        assertEquals(Map.of("kata", new RuntimeTable("kata", "kata", Map.of(), Optional.of(mainFile()))), config.runtimes());
        assertEquals(List.of(mainFile()), config.sources());
    }

    @Test
    void streamTlsNeedsCertificateAndKeyTogetherAsAbsolutePaths() throws IOException {
        assertEquals("table [stream]: stream_tls_cert and stream_tls_key come together; set both for HTTPS streaming or neither",
                failMain("[stream]\nstream_tls_cert = \"/etc/crisp/stream.crt\"\n"));
        assertEquals("table [stream] key 'stream_tls_key': expected an absolute path, got \"stream.key\"",
                failMain("[stream]\nstream_tls_cert = \"/etc/crisp/stream.crt\"\nstream_tls_key = \"stream.key\"\n"));
        assertEquals(Optional.empty(), loadMain("[stream]\nstream_port = 10010\n").streamTls());
    }

    @Test
    void pathsAreNormalized() throws IOException {
        CrispConfig config = loadMain("""
                root = "/srv/./crisp/../lib/crisp/"
                """);
        assertEquals(Path.of("/srv/lib/crisp"), config.root());
    }

    @Test
    void grpcMaxRecvMsgSizeBoundaries() throws IOException {
        assertEquals(16777216, loadMain("[api]\ngrpc_max_recv_msg_size = 16777216\n").grpcMaxRecvMsgSize());
        assertEquals(Integer.MAX_VALUE, loadMain("[api]\ngrpc_max_recv_msg_size = 2147483647\n").grpcMaxRecvMsgSize());
        assertEquals(mainFile() + ": table [api] key 'grpc_max_recv_msg_size': expected " + SIZE_RANGE + ", got 2147483648",
                failMain("[api]\ngrpc_max_recv_msg_size = 2147483648\n"));
    }

    // ---- drop-ins ----

    @Test
    void dropInsApplyInLexicalOrderAndIgnoreOtherFiles() throws IOException {
        write(mainFile(), """
                log_level = "error"
                [runtime]
                cgroup_driver = "systemd"
                """);
        // Created out of order, so the result cannot depend on creation order.
        Path b = dropIn("20-b.toml", "log_level = \"warn\"\n");
        Path a = dropIn("10-a.toml", "log_level = \"debug\"\n");
        dropIn("30-c.conf", "log_level = \"trace\"\n");
        dropIn("40-d.toml.bak", "log_level = \"trace\"\n");
        Files.createDirectories(dropInDir().resolve("50-dir.toml"));

        CrispConfig config = loader().load(mainFile(), true, dropInDir(), Map.of());

        assertEquals("warn", config.logLevel());
        assertEquals("systemd", config.cgroupDriver(), "a key no drop-in sets keeps the main file's value");
        assertEquals(List.of(mainFile(), a, b), config.sources());
    }

    @Test
    void dropInOrderIsLexicalNotNumeric() throws IOException {
        Path ten = dropIn("10-x.toml", "log_level = \"debug\"\n");
        Path nine = dropIn("9-x.toml", "log_level = \"warn\"\n");
        CrispConfig config = loadFlags(Map.of());
        assertEquals(List.of(ten, nine), config.sources());
        assertEquals("warn", config.logLevel());
    }

    @Test
    void dropInsApplyWithoutMainFile() throws IOException {
        Path a = dropIn("10-a.toml", "[api]\nlisten = \"unix:///run/other.sock\"\n");
        CrispConfig config = loadFlags(Map.of());
        assertEquals(Path.of("/run/other.sock"), config.socketPath());
        assertEquals(List.of(a), config.sources());
    }

    @Test
    void dropInMergesRuntimeTablesAndAddsHandlers() throws IOException {
        write(mainFile(), """
                [runtimes.runc]
                plugin = "runc"
                runtime_path = "/usr/bin/runc"

                [runtimes.runc.limits]
                a = 1
                b = 2

                [runtimes.crun]
                plugin = "runc"
                runtime_path = "/usr/bin/crun"
                """);
        Path runcDropIn = dropIn("10-runc.toml", """
                [runtimes.runc]
                monitor_path = "/usr/local/bin/conmon"

                [runtimes.runc.limits]
                b = 3
                """);
        Path kataDropIn = dropIn("20-kata.toml", """
                [runtimes.kata]
                plugin = "kata"
                vcpus = 2
                memory_ratio = 2.5
                debug = true
                kernel_params = ["quiet", "panic=1"]
                sizes = [1, 2]
                firmware = { path = "/usr/share/ovmf", secure = false }

                [runtimes.kata.annotations]
                "io.katacontainers.config" = "x"
                """);

        CrispConfig config = loader().load(mainFile(), true, dropInDir(), Map.of());

        assertEquals(List.of("runc", "crun", "kata"), new ArrayList<>(config.runtimes().keySet()));

        RuntimeTable runc = config.runtimes().get("runc");
        assertEquals("runc", runc.plugin());
        Map<String, Object> runcOptions = new LinkedHashMap<>();
        runcOptions.put("runtime_path", "/usr/bin/runc");
        runcOptions.put("limits", Map.of("a", 1L, "b", 3L));
        runcOptions.put("monitor_path", "/usr/local/bin/conmon");
        assertEquals(runcOptions, runc.options());
        assertEquals(Optional.of(runcDropIn), runc.source(), "source is the last file that touched the table");
        assertEquals("[runtimes.runc] in " + runcDropIn, runc.origin());

        RuntimeTable crun = config.runtimes().get("crun");
        assertEquals(new RuntimeTable("crun", "runc", Map.of("runtime_path", "/usr/bin/crun"), Optional.of(mainFile())), crun);

        RuntimeTable kata = config.runtimes().get("kata");
        assertEquals("kata", kata.plugin());
        assertEquals(Optional.of(kataDropIn), kata.source());
        Map<String, Object> kataOptions = new LinkedHashMap<>();
        kataOptions.put("vcpus", 2L);
        kataOptions.put("memory_ratio", 2.5);
        kataOptions.put("debug", true);
        kataOptions.put("kernel_params", List.of("quiet", "panic=1"));
        kataOptions.put("sizes", List.of(1L, 2L));
        kataOptions.put("firmware", Map.of("path", "/usr/share/ovmf", "secure", false));
        kataOptions.put("annotations", Map.of("io.katacontainers.config", "x"));
        assertEquals(kataOptions, kata.options());
        assertTrue(!kata.options().containsKey("plugin"), "options exclude 'plugin'");
        assertInstanceOf(Long.class, kata.options().get("vcpus"));
        assertInstanceOf(Double.class, kata.options().get("memory_ratio"));
        assertInstanceOf(Boolean.class, kata.options().get("debug"));
        assertInstanceOf(List.class, kata.options().get("kernel_params"));
        assertInstanceOf(Map.class, kata.options().get("annotations"));
        assertInstanceOf(String.class, ((Map<?, ?>) kata.options().get("annotations")).get("io.katacontainers.config"));
    }

    @Test
    void dropInOverridesPluginOfExistingHandler() throws IOException {
        write(mainFile(), "[runtimes.runc]\nplugin = \"runc\"\nruntime_path = \"/usr/bin/runc\"\n");
        dropIn("10.toml", "[runtimes.runc]\nplugin = \"example\"\n");
        RuntimeTable runc = loader().load(mainFile(), true, dropInDir(), Map.of()).runtimes().get("runc");
        assertEquals("example", runc.plugin());
        assertEquals(Map.of("runtime_path", "/usr/bin/runc"), runc.options());
    }

    @Test
    void pluginMayComeFromAnEarlierFile() throws IOException {
        write(mainFile(), "[runtimes.kata]\nplugin = \"kata\"\n");
        Path d = dropIn("10.toml", "[runtimes.kata]\nvcpus = 4\n");
        CrispConfig config = loader().load(mainFile(), true, dropInDir(), Map.of(ConfigKey.DEFAULT_RUNTIME, "kata"));
        assertEquals(new RuntimeTable("kata", "kata", Map.of("vcpus", 4L), Optional.of(d)), config.runtimes().get("kata"));
    }

    @Test
    void optionBeyondSixtyFourBitsIsRefusedNotWrapped() throws IOException {
        // TOML integers are 64-bit; 2^64 - 1 must be an error, not silently become -1L.
        String message = failMain("[runtimes.runc]\nplugin = \"runc\"\nmemory_limit = 18446744073709551615\n");
        assertTrue(message.startsWith(mainFile() + ": "), message);
        assertTrue(message.contains("[runtimes.runc]") && message.contains("memory_limit"), message);
    }

    @Test
    void anyHandlerTableReplacesTheBuiltInRunc() throws IOException {
        CrispConfig config = loadMain("""
                [runtime]
                default_runtime = "kata"
                [runtimes.kata]
                plugin = "kata"
                """);
        assertEquals(List.of("kata"), new ArrayList<>(config.runtimes().keySet()));
    }

    @Test
    void errorInDropInNamesTheDropIn() throws IOException {
        write(mainFile(), "log_level = \"debug\"\n");
        Path bad = dropIn("10-bad.toml", "[api]\nport = 10\n");
        ConfigException e = assertThrows(ConfigException.class, () -> loader().load(mainFile(), true, dropInDir(), Map.of()));
        assertEquals(bad + ": table [api]: unknown key 'port' (known keys: listen, grpc_max_recv_msg_size)", e.getMessage());
    }

    // ---- flags ----

    @Test
    void flagsOverrideFilesAndDropIns() throws IOException {
        write(mainFile(), """
                root = "/srv/lib"
                log_level = "debug"
                [api]
                grpc_max_recv_msg_size = 33554432
                """);
        dropIn("10.toml", "log_level = \"trace\"\n");
        Map<ConfigKey, String> flags = new EnumMap<>(ConfigKey.class);
        flags.put(ConfigKey.LOG_LEVEL, "warn");
        flags.put(ConfigKey.GRPC_MAX_RECV_MSG_SIZE, "67108864");
        flags.put(ConfigKey.PLUGINS_DIR, "/flag/plugins");
        flags.put(ConfigKey.LISTEN, "unix:///flag/crisp.sock");
        flags.put(ConfigKey.CGROUP_DRIVER, "systemd");

        CrispConfig config = loader().load(mainFile(), true, dropInDir(), flags);

        assertEquals("warn", config.logLevel());
        assertEquals(67108864, config.grpcMaxRecvMsgSize());
        assertEquals(Path.of("/flag/plugins"), config.pluginsDir());
        assertEquals(Path.of("/flag/crisp.sock"), config.socketPath());
        assertEquals("systemd", config.cgroupDriver());
        assertEquals(Path.of("/srv/lib"), config.root(), "keys without a flag keep the file's value");
    }

    @Test
    void badFlagValueFailsNamingTheFlag() {
        ConfigException e = assertThrows(ConfigException.class, () -> loadFlags(Map.of(ConfigKey.LOG_LEVEL, "loud")));
        assertEquals("flag --log-level: expected " + LOG_LEVELS + ", got \"loud\"", e.getMessage());
    }

    @Test
    void badSizeFlagFailsNamingTheFlag() {
        ConfigException e = assertThrows(ConfigException.class, () -> loadFlags(Map.of(ConfigKey.GRPC_MAX_RECV_MSG_SIZE, "big")));
        assertEquals("flag --grpc-max-recv-msg-size: expected " + SIZE_RANGE + ", got \"big\"", e.getMessage());
    }

    @Test
    void relativePathFlagFailsNamingTheFlag() {
        ConfigException e = assertThrows(ConfigException.class, () -> loadFlags(Map.of(ConfigKey.ROOT, "var/lib/crisp")));
        assertEquals("flag --root: expected an absolute path, got \"var/lib/crisp\"", e.getMessage());
    }

    @Test
    void flagIsCheckedAgainstHandlers() {
        ConfigException e = assertThrows(ConfigException.class, () -> loadFlags(Map.of(ConfigKey.DEFAULT_RUNTIME, "kata")));
        assertEquals("table [runtime] key 'default_runtime': handler 'kata' has no [runtimes.kata] table (configured handlers: runc)",
                e.getMessage());
    }

    // ---- errors in files ----

    @Test
    void unknownTopLevelKey() throws IOException {
        assertEquals(mainFile() + ": top level: unknown key 'log_levl' (known keys: root, state, log_level, log_file, log_max_size, log_max_files)",
                failMain("log_levl = \"debug\"\n"));
    }

    @Test
    void unknownKeyInApiTable() throws IOException {
        assertEquals(mainFile() + ": table [api]: unknown key 'port' (known keys: listen, grpc_max_recv_msg_size)",
                failMain("[api]\nlisten = \"unix:///run/crisp/crisp.sock\"\nport = 10010\n"));
    }

    @Test
    void keyInTheWrongTable() throws IOException {
        assertEquals(mainFile() + ": table [runtime]: unknown key 'log_level' (known keys: default_runtime, plugins_dir, cgroup_driver, cdi_spec_dirs)",
                failMain("[runtime]\nlog_level = \"debug\"\n"));
    }

    @Test
    void unknownTable() throws IOException {
        assertEquals(mainFile() + ": unknown table [cni] (known tables: [api], [runtime], [image], [network], [stream], [metrics], [stats], [runtimes.NAME])",
                failMain("[cni]\nplugin_dirs = [\"/opt/cni/bin\"]\n"));
    }

    @Test
    void cniBinDirTakesAnArrayOrAColonSeparatedString() throws IOException {
        assertEquals(List.of(Path.of("/a"), Path.of("/b")), loadMain("[network]\ncni_bin_dir = \"/a:/b\"\n").cniBinDirs());
        assertEquals(mainFile() + ": table [network] key 'cni_bin_dir': expected absolute paths (an array, or one string separated by ':'), got [\"relative\"]",
                failMain("[network]\ncni_bin_dir = [\"relative\"]\n"));
    }

    @Test
    void wrongTypeForChoice() throws IOException {
        assertEquals(mainFile() + ": top level key 'log_level': expected " + LOG_LEVELS + ", got 3",
                failMain("log_level = 3\n"));
    }

    @Test
    void unknownChoice() throws IOException {
        assertEquals(mainFile() + ": table [runtime] key 'cgroup_driver': expected one of cgroupfs, systemd, got \"cgroup2\"",
                failMain("[runtime]\ncgroup_driver = \"cgroup2\"\n"));
    }

    @Test
    void wrongTypeForSize() throws IOException {
        assertEquals(mainFile() + ": table [api] key 'grpc_max_recv_msg_size': expected " + SIZE_RANGE + ", got \"big\"",
                failMain("[api]\ngrpc_max_recv_msg_size = \"big\"\n"));
    }

    @Test
    void sizeBelowSixteenMebibytes() throws IOException {
        assertEquals(mainFile() + ": table [api] key 'grpc_max_recv_msg_size': expected " + SIZE_RANGE + ", got 16777215",
                failMain("[api]\ngrpc_max_recv_msg_size = 16777215\n"));
    }

    @Test
    void sizeBeyondSixtyFourBitsIsRefusedNotWrapped() throws IOException {
        // 2^64 + 16 MiB: its low 64 bits are 16777216, a valid size if the value were truncated to a long.
        String message = failMain("[api]\ngrpc_max_recv_msg_size = 18446744073726328832\n");
        assertTrue(message.startsWith(mainFile() + ": "), message);
        assertTrue(message.contains("grpc_max_recv_msg_size"), message);
    }

    @Test
    void sizeAsFloatIsRefused() throws IOException {
        String message = failMain("[api]\ngrpc_max_recv_msg_size = 16777216.0\n");
        assertTrue(message.startsWith(mainFile() + ": table [api] key 'grpc_max_recv_msg_size': expected " + SIZE_RANGE + ", got "), message);
    }

    @Test
    void relativeRootPath() throws IOException {
        assertEquals(mainFile() + ": top level key 'root': expected an absolute path, got \"var/lib/crisp\"",
                failMain("root = \"var/lib/crisp\"\n"));
    }

    @Test
    void relativePluginsDir() throws IOException {
        assertEquals(mainFile() + ": table [runtime] key 'plugins_dir': expected an absolute path, got \"plugins\"",
                failMain("[runtime]\nplugins_dir = \"plugins\"\n"));
    }

    @Test
    void tableGivenForScalarKey() throws IOException {
        assertEquals(mainFile() + ": table [api] key 'listen': expected a string, got {\"path\":\"/run/x.sock\"}",
                failMain("[api.listen]\npath = \"/run/x.sock\"\n"));
    }

    @Test
    void invalidTomlNamesTheFile() throws IOException {
        String message = failMain("log_level = \"debug\n[api\n");
        assertTrue(message.startsWith(mainFile() + ":1:"), "file:line:column, as editors take it: " + message);
        assertTrue(message.contains("(log_level = \"debug): not valid TOML: "), "and the line itself: " + message);
    }

    @Test
    void invalidTomlInDropInNamesTheDropIn() throws IOException {
        write(mainFile(), "log_level = \"debug\"\n");
        Path bad = dropIn("10-bad.toml", "# a comment\nlog_level = = 1\n");
        ConfigException e = assertThrows(ConfigException.class, () -> loader().load(mainFile(), true, dropInDir(), Map.of()));
        assertTrue(e.getMessage().startsWith(bad + ":2:"), e.getMessage());
        assertTrue(e.getMessage().contains("(log_level = = 1): not valid TOML: "), e.getMessage());
    }

    @Test
    void duplicateKeyIsInvalidToml() throws IOException {
        String message = failMain("log_level = \"debug\"\nlog_level = \"warn\"\n");
        assertEquals(mainFile() + ":2: not valid TOML: key 'log_level' at the top level is set again (first on line 1)", message);
        assertEquals(mainFile() + ":3: not valid TOML: key 'listen' in [api] is set again (first on line 2)",
                failMain("[api]\nlisten = \"unix:///a.sock\"\nlisten = \"unix:///b.sock\"\n"));
        assertTrue(failMain("[api]\n[stream]\n[api]\n").startsWith(mainFile() + ":3:5 ([api]): not valid TOML: "),
                "a table written twice: the parser's own position");
    }

    // ---- handler tables ----

    @Test
    void handlerWithoutPluginFailsNamingTableAndFile() throws IOException {
        assertEquals(mainFile() + ": table [runtimes.x]: key 'plugin' is missing; name the plugin that serves handler 'x'"
                        + " (for example plugin = \"runc\")",
                failMain("[runtimes.x]\nruntime_path = \"/usr/bin/runc\"\n"));
    }

    @Test
    void pluginNotAString() throws IOException {
        assertEquals(mainFile() + ": table [runtimes.x] key 'plugin': expected the id of a plugin (a string), got 5",
                failMain("[runtimes.x]\nplugin = 5\n"));
    }

    @Test
    void pluginBlank() throws IOException {
        assertEquals(mainFile() + ": table [runtimes.x] key 'plugin': expected the id of a plugin (a string), got \" \"",
                failMain("[runtimes.x]\nplugin = \" \"\n"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Kata_QEMU", "kata_qemu", "Kata", "-kata", "kata-", "kata.qemu",
            "a234567890123456789012345678901234567890123456789012345678901234"})
    void handlerNameMustBeDnsLabel(String name) throws IOException {
        String message = failMain("[runtimes.\"" + name + "\"]\nplugin = \"kata\"\n");
        assertEquals(mainFile() + ": table [runtimes." + name + "]: handler name '" + name
                + "' is not a DNS label (lower-case letters, digits and '-', at most 63 characters), as RuntimeClass handlers must be",
                message);
    }

    @ParameterizedTest
    @ValueSource(strings = {"k", "kata-qemu", "0runc", "a23456789012345678901234567890123456789012345678901234567890123"})
    void handlerNameDnsLabelAccepted(String name) throws IOException {
        CrispConfig config = loadMain("[runtime]\ndefault_runtime = \"" + name + "\"\n[runtimes." + name + "]\nplugin = \"kata\"\n");
        assertEquals("kata", config.runtimes().get(name).plugin());
    }

    @Test
    void runtimesNotATable() throws IOException {
        assertEquals(mainFile() + ": 'runtimes' must be tables, one per handler: [runtimes.NAME]",
                failMain("runtimes = \"x\"\n"));
    }

    @Test
    void handlerNotATable() throws IOException {
        assertEquals(mainFile() + ": key 'runtimes.kata': expected a table [runtimes.kata], got \"x\"",
                failMain("[runtimes]\nkata = \"x\"\n"));
    }

    @Test
    void defaultRuntimeWithoutTableListsConfiguredHandlers() throws IOException {
        assertEquals("table [runtime] key 'default_runtime': handler 'kata' has no [runtimes.kata] table (configured handlers: runc, crun)",
                failMain("""
                        [runtime]
                        default_runtime = "kata"
                        [runtimes.runc]
                        plugin = "runc"
                        [runtimes.crun]
                        plugin = "runc"
                        """));
    }

    @Test
    void defaultRuncWithoutRuncTableFails() throws IOException {
        assertEquals("table [runtime] key 'default_runtime': handler 'runc' has no [runtimes.runc] table (configured handlers: kata)",
                failMain("[runtimes.kata]\nplugin = \"kata\"\n"));
    }

    // ---- listen ----

    @Test
    void tcpListenRefused() throws IOException {
        assertEquals("table [api] key 'listen': \"tcp://1.2.3.4:5\" is not a unix socket endpoint (unix:///run/crisp/crisp.sock)",
                failMain("[api]\nlisten = \"tcp://1.2.3.4:5\"\n"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"run/crisp.sock", "unix://run/crisp.sock", "unix:run/crisp.sock", ""})
    void nonAbsoluteUnixListenRefused(String listen) throws IOException {
        assertEquals("table [api] key 'listen': \"" + listen + "\" is not a unix socket endpoint (unix:///run/crisp/crisp.sock)",
                failMain("[api]\nlisten = \"" + listen + "\"\n"));
    }

    @Test
    void malformedUnixUriRefusedAsConfigError() throws IOException {
        // '%zz' is not a valid escape: the loader must answer with a ConfigException, not an IllegalArgumentException.
        assertEquals("table [api] key 'listen': \"unix:///run/a%zz.sock\" is not a unix socket endpoint (unix:///run/crisp/crisp.sock)",
                failMain("[api]\nlisten = \"unix:///run/a%zz.sock\"\n"));
    }

    @Test
    void bareAbsoluteListenAccepted() throws IOException {
        CrispConfig config = loadMain("[api]\nlisten = \"/run/other/crisp.sock\"\n");
        assertEquals("/run/other/crisp.sock", config.listen());
        assertEquals(Path.of("/run/other/crisp.sock"), config.socketPath());
    }

    @Test
    void socketPathOfUnixUri() throws IOException {
        assertEquals(Path.of("/run/x.sock"), loadMain("[api]\nlisten = \"unix:///run/x.sock\"\n").socketPath());
        assertEquals(Path.of("/run/x.sock"), CrispConfig.socketPathOf("unix:///run/x.sock"));
        assertEquals(Path.of("/run/my crisp/x.sock"), CrispConfig.socketPathOf("unix:///run/my crisp/x.sock"));
        assertEquals(Path.of("/run/x.sock"), CrispConfig.socketPathOf("unix:///run/sub/../x.sock"));
        assertEquals(null, CrispConfig.socketPathOf("tcp://127.0.0.1:1234"));
    }

    @Test
    void pinnedImagesTakeExactNamesAndATrailingStarOnly() throws IOException {
        assertEquals(List.of("a.example/x:1", "b.example/*"), loadMain("[image]\npinned_images = [\"a.example/x:1\", \"b.example/*\"]\n").pinnedImages());
        assertEquals(List.of(), loadMain("[image]\npinned_images = []\n").pinnedImages());
        assertTrue(failMain("[image]\npinned_images = [\"a*b\"]\n").contains("pinned_images"));
        assertTrue(failMain("[image]\npinned_images = \"registry.k8s.io/pause*\"\n").contains("an array of image names"));
        write(mainFile(), "");
        assertEquals(List.of("a.example/x:1", "b*"), loadFlags(Map.of(ConfigKey.PINNED_IMAGES, "a.example/x:1,b*")).pinnedImages());
        assertThrows(ConfigException.class, () -> loadFlags(Map.of(ConfigKey.PINNED_IMAGES, "a,,b")));
    }
}
