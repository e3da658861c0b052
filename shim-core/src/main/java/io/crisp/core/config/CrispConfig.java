package io.crisp.core.config;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The effective configuration: defaults, then {@code crisp.toml}, then drop-ins in lexical order,
 * then flags. Immutable; a reload builds a new one.
 *
 * @param values every {@link ConfigKey} with its value
 * @param runtimes handler tables by name, in file order
 * @param sources the files read, in order
 */
public record CrispConfig(Map<ConfigKey, Object> values, Map<String, RuntimeTable> runtimes, List<Path> sources) {
    public CrispConfig {
        requireNonNull(values, "values is null");
        EnumMap<ConfigKey, Object> copy = new EnumMap<>(ConfigKey.class);
        copy.putAll(values);
        for (ConfigKey key : ConfigKey.values()) {
            if (copy.get(key) == null) {
                throw new IllegalArgumentException("no value for " + key.key());
            }
        }
        values = Collections.unmodifiableMap(copy);
        runtimes = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(runtimes, "runtimes is null")));
        sources = List.copyOf(requireNonNull(sources, "sources is null"));
    }

    public Object get(ConfigKey key) {
        return values.get(key);
    }

    public Path root() {
        return (Path) values.get(ConfigKey.ROOT);
    }

    public Path state() {
        return (Path) values.get(ConfigKey.STATE);
    }

    public String logLevel() {
        return (String) values.get(ConfigKey.LOG_LEVEL);
    }

    /** The daemon's own rotated log file; empty when it logs to stderr. */
    public Optional<Path> logFile() {
        String file = (String) values.get(ConfigKey.LOG_FILE);
        return file.isEmpty() ? Optional.empty() : Optional.of(Path.of(file));
    }

    public long logMaxSize() {
        return (Long) values.get(ConfigKey.LOG_MAX_SIZE);
    }

    public int logMaxFiles() {
        return Math.toIntExact((Long) values.get(ConfigKey.LOG_MAX_FILES));
    }

    public String listen() {
        return (String) values.get(ConfigKey.LISTEN);
    }

    /** The socket path of {@link #listen()}, which the loader has checked is a unix endpoint. */
    public Path socketPath() {
        return socketPathOf(listen());
    }

    public int grpcMaxRecvMsgSize() {
        return Math.toIntExact((Long) values.get(ConfigKey.GRPC_MAX_RECV_MSG_SIZE));
    }

    public String defaultRuntime() {
        return (String) values.get(ConfigKey.DEFAULT_RUNTIME);
    }

    public Path pluginsDir() {
        return (Path) values.get(ConfigKey.PLUGINS_DIR);
    }

    public String cgroupDriver() {
        return (String) values.get(ConfigKey.CGROUP_DRIVER);
    }

    public Path registriesConf() {
        return (Path) values.get(ConfigKey.REGISTRIES_CONF);
    }

    public Path authFile() {
        return (Path) values.get(ConfigKey.AUTH_FILE);
    }

    public java.time.Duration credentialHelperTimeout() {
        return (java.time.Duration) values.get(ConfigKey.CREDENTIAL_HELPER_TIMEOUT);
    }

    @SuppressWarnings("unchecked")
    public List<Path> certsDirs() {
        return (List<Path>) values.get(ConfigKey.CERTS_DIRS);
    }

    public Path signaturePolicy() {
        return (Path) values.get(ConfigKey.SIGNATURE_POLICY);
    }

    public Path registriesD() {
        return (Path) values.get(ConfigKey.REGISTRIES_D);
    }

    public java.time.Duration imagePullProgressTimeout() {
        return (java.time.Duration) values.get(ConfigKey.IMAGE_PULL_PROGRESS_TIMEOUT);
    }

    public java.time.Duration imagePullLogInterval() {
        return (java.time.Duration) values.get(ConfigKey.IMAGE_PULL_LOG_INTERVAL);
    }

    public int maxConcurrentDownloads() {
        return Math.toIntExact((Long) values.get(ConfigKey.MAX_CONCURRENT_DOWNLOADS));
    }

    public String platform() {
        return (String) values.get(ConfigKey.PLATFORM);
    }

    public Path cniConfDir() {
        return (Path) values.get(ConfigKey.CNI_CONF_DIR);
    }

    @SuppressWarnings("unchecked")
    public List<Path> cniBinDirs() {
        return (List<Path>) values.get(ConfigKey.CNI_BIN_DIR);
    }

    @SuppressWarnings("unchecked")
    public List<Path> cdiSpecDirs() {
        return (List<Path>) values.get(ConfigKey.CDI_SPEC_DIRS);
    }

    public String pauseImage() {
        return (String) values.get(ConfigKey.PAUSE_IMAGE);
    }

    @SuppressWarnings("unchecked")
    public List<String> pinnedImages() {
        return (List<String>) values.get(ConfigKey.PINNED_IMAGES);
    }

    public String streamAddress() {
        return (String) values.get(ConfigKey.STREAM_ADDRESS);
    }

    public int streamPort() {
        return Math.toIntExact((Long) values.get(ConfigKey.STREAM_PORT));
    }

    public String metricsAddress() {
        return (String) values.get(ConfigKey.METRICS_ADDRESS);
    }

    /** The metrics server's port; 0 means no metrics server. */
    public int metricsPort() {
        return Math.toIntExact((Long) values.get(ConfigKey.METRICS_PORT));
    }

    public java.time.Duration streamIdleTimeout() {
        return (java.time.Duration) values.get(ConfigKey.STREAM_IDLE_TIMEOUT);
    }

    public java.time.Duration statsCollectPeriod() {
        return (java.time.Duration) values.get(ConfigKey.STATS_COLLECT_PERIOD);
    }

    /** Certificate and key files for HTTPS streaming, when both are set (the loader checks they come as a pair). */
    public Optional<StreamTls> streamTls() {
        String cert = (String) values.get(ConfigKey.STREAM_TLS_CERT);
        String key = (String) values.get(ConfigKey.STREAM_TLS_KEY);
        return cert.isEmpty() ? Optional.empty() : Optional.of(new StreamTls(Path.of(cert), Path.of(key)));
    }

    /** The streaming server's certificate chain and private key, both PEM files. */
    public record StreamTls(Path certificate, Path privateKey) {}

    /**
     * Accepts {@code unix:///run/crisp/crisp.sock} and a bare absolute path; returns null for
     * anything else (tcp endpoints are not offered: the CRI socket is root-only by design).
     */
    public static Path socketPathOf(String listen) {
        if (listen.startsWith("/")) {
            return Path.of(listen).normalize();
        }
        if (!listen.startsWith("unix://")) {
            return null;
        }
        URI uri;
        try {
            uri = new URI(listen.replace(" ", "%20"));
        } catch (URISyntaxException e) {
            return null;
        }
        // unix://run/x.sock would read "run" as a host and drop it: only unix:///absolute/path.
        String path = uri.getPath();
        return uri.getRawAuthority() != null || path == null || !path.startsWith("/") ? null : Path.of(path).normalize();
    }
}
