package io.crisp.core.config;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Every scalar key of {@code crisp.toml}, with its table, type, default, flag and whether SIGHUP
 * applies it. The loader, the flags of {@code crisp serve} and {@code crisp config}, and the printed
 * configuration all come from this one list, so a key cannot exist in one place and not another.
 * Handler tables ({@code [runtimes.NAME]}) are not here: their keys belong to plugins.
 */
public enum ConfigKey {
    ROOT("", "root", new ValueType.AbsolutePath(), "/var/lib/crisp", false,
            "Persistent data: images, pod and container metadata. Survives reboots."),
    STATE("", "state", new ValueType.AbsolutePath(), "/run/crisp", false,
            "Runtime state: bundles, sockets, pid file. Should be on tmpfs."),
    LOG_LEVEL("", "log_level", new ValueType.Choice(List.of("trace", "debug", "info", "warn", "error")), "info", true,
            "Log level of the daemon; debug logs one line per RPC with its duration."),
    LOG_FILE("", "log_file", new ValueType.Text(), "", false,
            "Absolute path of a log file the daemon writes and rotates itself; empty logs to stderr (the journal under systemd)."),
    LOG_MAX_SIZE("", "log_max_size", new ValueType.Size(4096, 1L << 40), String.valueOf(10L << 20), false,
            "With log_file: bytes at which the log file is rotated (renamed to <log_file>.1, .1 to .2, ...)."),
    LOG_MAX_FILES("", "log_max_files", new ValueType.Size(1, 20), "5", false,
            "With log_file: rotated files kept beside it; the oldest is deleted."),
    LISTEN("api", "listen", new ValueType.Text(), "unix:///run/crisp/crisp.sock", false,
            "CRI endpoint: unix:///path (the kubelet's --container-runtime-endpoint)."),
    GRPC_MAX_RECV_MSG_SIZE("api", "grpc_max_recv_msg_size", new ValueType.Size(16L << 20, Integer.MAX_VALUE), String.valueOf(16L << 20), false,
            "Largest request the server accepts, in bytes; at least the kubelet's 16 MiB."),
    DEFAULT_RUNTIME("runtime", "default_runtime", new ValueType.Text(), "runc", true,
            "Handler used when a pod's runtime_handler is empty (no RuntimeClass)."),
    PLUGINS_DIR("runtime", "plugins_dir", new ValueType.AbsolutePath(), null, true,
            "Directory of backend plugin JARs; default <crisp home>/plugins, installed: /usr/lib/crisp/plugins."),
    CGROUP_DRIVER("runtime", "cgroup_driver", new ValueType.Choice(List.of("cgroupfs", "systemd")), "cgroupfs", false,
            "Cgroup driver reported to the kubelet (RuntimeConfig) and passed to every handler; must match the kubelet's. systemd needs systemd as PID 1."),
    CDI_SPEC_DIRS("runtime", "cdi_spec_dirs", new ValueType.PathList(), "/etc/cdi:/var/run/cdi", false,
            "Directories of CDI spec files (.json, .yaml) that CDI_devices and cdi.k8s.io/* annotations are resolved from; a later one wins."),
    REGISTRIES_CONF("image", "registries_conf", new ValueType.AbsolutePath(), "/etc/containers/registries.conf", true,
            "Registry mirrors, insecure and blocked registries in containers-registries.conf(5) v2 format; missing means none."),
    AUTH_FILE("image", "auth_file", new ValueType.AbsolutePath(), "/etc/crisp/auth.json", true,
            "Registry credentials in Docker config.json format, used when a pull request carries none; missing means none."),
    CREDENTIAL_HELPER_TIMEOUT("image", "credential_helper_timeout",
            new ValueType.Span(java.time.Duration.ofMillis(100), java.time.Duration.ofMinutes(10)), "5s", true,
            "A credential helper (docker-credential-NAME from auth_file's credHelpers or credsStore) that runs longer is killed and the pull fails."),
    CERTS_DIRS("image", "certs_dirs", new ValueType.PathList(), "/etc/containers/certs.d:/etc/docker/certs.d", true,
            "certs.d directories searched for <host[:port]>/ with a registry's CA (*.crt) and client certificates (*.cert + *.key); the first that has the host wins."),
    SIGNATURE_POLICY("image", "signature_policy", new ValueType.AbsolutePath(), "/etc/containers/policy.json", true,
            "Signature policy every pull must satisfy, in containers-policy.json(5) format; missing refuses every pull, as in CRI-O."),
    REGISTRIES_D("image", "registries_d", new ValueType.AbsolutePath(), "/etc/containers/registries.d", true,
            "Where image signatures are read from (lookaside URLs, use-sigstore-attachments), containers-registries.d(5) *.yaml files; missing means none."),
    IMAGE_PULL_PROGRESS_TIMEOUT("image", "image_pull_progress_timeout",
            new ValueType.Span(java.time.Duration.ofSeconds(1), java.time.Duration.ofHours(24)), "5m", true,
            "A pull is cancelled when no bytes arrive for this long (not a limit on the whole pull)."),
    IMAGE_PULL_LOG_INTERVAL("image", "image_pull_log_interval",
            new ValueType.Span(java.time.Duration.ofMillis(100), java.time.Duration.ofHours(24)), "10s", true,
            "A pull running longer than this logs its progress (bytes, rate, layers) at INFO once per interval; shorter pulls log none."),
    MAX_CONCURRENT_DOWNLOADS("image", "max_concurrent_downloads", new ValueType.Size(1, 32), "3", false,
            "Layers of one pull downloaded in parallel."),
    PLATFORM("image", "platform", new ValueType.Choice(List.of("linux/amd64", "linux/arm64", "linux/arm", "linux/386", "linux/ppc64le",
            "linux/s390x", "linux/riscv64")), "linux/amd64", false,
            "Platform picked from multi-platform images (OCI index, Docker manifest list)."),
    PAUSE_IMAGE("image", "pause_image", new ValueType.Text(), "registry.k8s.io/pause:3.10", true,
            "Image of every pod's infra process, which holds the pod's namespaces; pulled on first use."),
    PINNED_IMAGES("image", "pinned_images", new ValueType.ImagePatterns(), "", true,
            "Images reported as pinned (the kubelet's image GC keeps them), besides pause_image: exact names, or a prefix ending in '*'."),
    CNI_CONF_DIR("network", "cni_conf_dir", new ValueType.AbsolutePath(), "/etc/cni/net.d", false,
            "CNI network configs; the first valid .conflist/.conf in lexical order is used; watched for changes."),
    CNI_BIN_DIR("network", "cni_bin_dir", new ValueType.PathList(), "/opt/cni/bin:/usr/lib/cni", false,
            "Directories searched in order for CNI plugin binaries (Debian installs them in /usr/lib/cni)."),
    STREAM_ADDRESS("stream", "stream_address", new ValueType.Text(), "127.0.0.1", false,
            "Address of the streaming server behind exec, attach and port-forward URLs; loopback unless the API server must reach it."),
    STREAM_PORT("stream", "stream_port", new ValueType.Size(0, 65535), "0", false,
            "Port of the streaming server; 0 picks a free port at start."),
    STREAM_IDLE_TIMEOUT("stream", "stream_idle_timeout",
            new ValueType.Span(java.time.Duration.ofSeconds(1), java.time.Duration.ofDays(7)), "4h", false,
            "A streaming connection with no traffic either way for this long is closed."),
    STREAM_TLS_CERT("stream", "stream_tls_cert", new ValueType.Text(), "", false,
            "PEM certificate chain for HTTPS streaming; with stream_tls_key, empty for plain HTTP."),
    STREAM_TLS_KEY("stream", "stream_tls_key", new ValueType.Text(), "", false,
            "PEM private key (PKCS#8) for stream_tls_cert; never logged."),
    METRICS_ADDRESS("metrics", "metrics_address", new ValueType.Text(), "127.0.0.1", false,
            "Address of the Prometheus metrics server (GET /metrics); loopback unless a scraper on another node needs it."),
    METRICS_PORT("metrics", "metrics_port", new ValueType.Size(0, 65535), "0", false,
            "Port of the Prometheus metrics server; 0 turns metrics off."),
    STATS_COLLECT_PERIOD("stats", "stats_collect_period",
            new ValueType.Span(java.time.Duration.ofMillis(100), java.time.Duration.ofHours(1)), "1s", false,
            "How often CPU, memory and network figures of running containers and pods are sampled; the stats RPCs answer from the latest.");

    private final String table;
    private final String name;
    private final ValueType type;
    private final String defaultText;
    private final boolean reloadable;
    private final String description;

    ConfigKey(String table, String name, ValueType type, String defaultText, boolean reloadable, String description) {
        this.table = table;
        this.name = name;
        this.type = type;
        this.defaultText = defaultText;
        this.reloadable = reloadable;
        this.description = description;
    }

    /** The table the key lives in; empty for the top level. */
    public String table() {
        return table;
    }

    public String key() {
        return name;
    }

    public ValueType type() {
        return type;
    }

    /** The command-line flag that overrides this key: the key with dashes, e.g. {@code --log-level}. */
    public String flag() {
        return "--" + name.replace('_', '-');
    }

    public boolean reloadable() {
        return reloadable;
    }

    public String description() {
        return description;
    }

    /** The table as written in TOML and error messages: {@code [api]}, or "top level". */
    public String tableLabel() {
        return table.isEmpty() ? "top level" : "[" + table + "]";
    }

    public Object defaultValue(Path crispHome) {
        if (this == PLUGINS_DIR) {
            return crispHome.resolve("plugins").normalize();
        }
        return type.fromText(defaultText);
    }

    public static Optional<ConfigKey> find(String table, String key) {
        return Arrays.stream(values()).filter(k -> k.table.equals(table) && k.name.equals(key)).findFirst();
    }

    public static List<String> keysOf(String table) {
        return Arrays.stream(values()).filter(k -> k.table.equals(table)).map(ConfigKey::key).toList();
    }

    /** The tables that hold scalar keys, in the order they are printed. */
    public static List<String> tables() {
        return Arrays.stream(values()).map(ConfigKey::table).distinct().toList();
    }
}
