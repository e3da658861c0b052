package io.crisp.core.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.core.image.ref.ImageReference;
import io.crisp.core.image.ref.RegistriesConf.Endpoint;
import io.crisp.core.image.ref.RegistryCredentials;
import io.crisp.core.image.registry.transport.Transport;
import io.crisp.core.image.registry.transport.TransportFailures;
import io.crisp.core.image.store.ContentStore;
import io.crisp.core.image.store.CountingInputStream;
import io.crisp.core.state.Json;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads images from an OCI distribution registry: manifests (OCI and Docker schema 2, indexes and
 * manifest lists resolved to one platform) and blobs, with Basic and Bearer token authentication.
 *
 * <p>Built on {@link HttpURLConnection} rather than java.net.http because the pull timeout is a
 * stall timeout: a socket read timeout is exactly "no byte arrived for that long", and
 * {@link Pull#cancel()} can abort a blocked read by disconnecting. Connections come from a
 * {@link Transport}: the proxy the environment names and the registry's certs.d TLS. Credentials
 * never reach a log line or an error message.
 */
public final class RegistryClient {
    private static final Logger log = LoggerFactory.getLogger(RegistryClient.class);
    private static final int MAX_MANIFEST_BYTES = 4 << 20;
    private static final int MAX_REDIRECTS = 5;

    /** Shared: a client or importer is made per pull or import, a mapper is costly to build and thread-safe. */
    private static final ObjectMapper JSON = Json.MAPPER;
    private final Duration stallTimeout;
    private final Transport transport;
    /** Authorization header values by "host/repository", so a token is fetched once per pull scope. */
    private final Map<String, String> authorizations = new ConcurrentHashMap<>();

    public RegistryClient(Duration stallTimeout) {
        this(stallTimeout, Transport.direct());
    }

    /** @param transport proxies and per-registry TLS for this pull's requests */
    public RegistryClient(Duration stallTimeout, Transport transport) {
        this.stallTimeout = stallTimeout;
        this.transport = transport;
    }

    /** One pull's connections, so that a cancelled or expired pull can abort its blocked reads. */
    public static final class Pull {
        private final List<HttpURLConnection> open = new ArrayList<>();
        /** Blob bytes received, or found already stored: the pull's progress. */
        private final AtomicLong received;

        public Pull() {
            this(new AtomicLong());
        }

        /** @param received counts the blob bytes this pull receives (or finds already stored) */
        public Pull(AtomicLong received) {
            this.received = received;
        }
        private volatile String cancelled;
        private volatile boolean aborted;

        synchronized void register(HttpURLConnection c) {
            if (cancelled != null) {
                throw new BackendException(BackendException.Kind.DEADLINE_EXCEEDED, cancelled);
            }
            if (aborted) {
                throw BackendException.unavailable("pull aborted: another part of it failed");
            }
            open.add(c);
        }

        /** Stops the other downloads of a pull that has already failed; not a caller's cancellation. */
        public synchronized void abort() {
            aborted = true;
            open.forEach(HttpURLConnection::disconnect);
            open.clear();
        }

        synchronized void unregister(HttpURLConnection c) {
            open.remove(c);
        }

        /** Aborts every read of this pull; later requests fail at once with {@code reason}. */
        public synchronized void cancel(String reason) {
            cancelled = reason;
            open.forEach(HttpURLConnection::disconnect);
            open.clear();
        }

        public Optional<String> cancelled() {
            return Optional.ofNullable(cancelled);
        }
    }

    /**
     * Fetches the manifest {@code ref} names and, for an index, the manifest for {@code platform}
     * ("linux/amd64"). When {@code ref} has a digest the bytes are checked against it.
     */
    public ResolvedImage resolve(Endpoint endpoint, ImageReference ref, RegistryCredentials credentials, String platform, Pull pull) {
        Fetched top = fetchManifest(endpoint, ref.reference(), credentials, pull);
        ref.digest().ifPresent(d -> {
            if (!d.equals(top.digest)) {
                throw BackendException.invalidArgument("image \"%s\": registry %s served a manifest with digest %s", ref, endpoint.host(), top.digest);
            }
        });
        JsonNode node = parse(top.bytes, ref, endpoint);
        String type = Manifests.mediaType(node, top.contentType);
        if (MediaTypes.INDEXES.contains(type)) {
            String chosen = Manifests.choosePlatform(node, platform, ref);
            Fetched manifest = fetchManifest(endpoint, chosen, credentials, pull);
            if (!manifest.digest.equals(chosen)) {
                throw BackendException.invalidArgument("image \"%s\": registry %s served manifest %s for digest %s", ref, endpoint.host(),
                        manifest.digest, chosen);
            }
            return toImage(manifest, parse(manifest.bytes, ref, endpoint), ref, top.digest);
        }
        return toImage(top, node, ref, top.digest);
    }

    /**
     * Streams a blob into the content store, verifying its digest and size while it is written.
     *
     * @throws BackendException UNAVAILABLE when no byte arrives for the stall timeout
     */
    public void fetchBlob(Endpoint endpoint, Descriptor blob, RegistryCredentials credentials, ContentStore store, Pull pull) {
        fetchBlob(endpoint, blob, credentials, store, pull, new AtomicLong());
    }

    /** {@link #fetchBlob(Endpoint, Descriptor, RegistryCredentials, ContentStore, Pull)} also counting this blob's own bytes. */
    public void fetchBlob(Endpoint endpoint, Descriptor blob, RegistryCredentials credentials, ContentStore store, Pull pull, AtomicLong blobBytes) {
        if (store.has(blob.digest())) {
            pull.received.addAndGet(Math.max(0, blob.size()));
            return;
        }
        HttpURLConnection c = open(endpoint, "blobs/" + blob.digest(), "*/*", credentials, pull);
        try (InputStream in = new CountingInputStream(new CountingInputStream(c.getInputStream(), pull.received), blobBytes)) {
            store.ingest(blob.digest(), blob.size(), in);
        } catch (SocketTimeoutException e) {
            throw stalled(endpoint, blob.digest());
        } catch (IOException e) {
            throw failed(endpoint, "blob " + blob.digest(), e, pull);
        } finally {
            pull.unregister(c);
        }
    }

    private record Fetched(byte[] bytes, String digest, String contentType) {}

    private Fetched fetchManifest(Endpoint endpoint, String reference, RegistryCredentials credentials, Pull pull) {
        HttpURLConnection c = open(endpoint, "manifests/" + reference, MediaTypes.ACCEPT, credentials, pull);
        try (InputStream in = c.getInputStream()) {
            byte[] bytes = in.readNBytes(MAX_MANIFEST_BYTES + 1);
            if (bytes.length > MAX_MANIFEST_BYTES) {
                throw BackendException.invalidArgument("registry %s: manifest %s is larger than %d bytes", endpoint.host(), reference, MAX_MANIFEST_BYTES);
            }
            String type = c.getContentType() == null ? "" : c.getContentType().split(";")[0].trim();
            return new Fetched(bytes, ContentStore.sha256Of(bytes), type);
        } catch (SocketTimeoutException e) {
            throw stalled(endpoint, "manifest " + reference);
        } catch (IOException e) {
            throw failed(endpoint, "manifest " + reference, e, pull);
        } finally {
            pull.unregister(c);
        }
    }

    /** Opens a GET on {@code /v2/<repository>/<path>}, answering auth challenges and following redirects. */
    private HttpURLConnection open(Endpoint endpoint, String path, String accept, RegistryCredentials credentials, Pull pull) {
        String scope = endpoint.host() + "/" + endpoint.repository();
        URI uri = URI.create(base(endpoint) + "/v2/" + endpoint.repository() + "/" + path);
        boolean retried = false;
        for (int redirects = 0; redirects <= MAX_REDIRECTS; ) {
            HttpURLConnection c = connect(uri, endpoint, accept, sameHost(uri, endpoint) ? authorizations.get(scope) : null, pull);
            int code;
            try {
                code = c.getResponseCode();
            } catch (SocketTimeoutException e) {
                pull.unregister(c);
                throw stalled(endpoint, path);
            } catch (IOException e) {
                pull.unregister(c);
                throw failed(endpoint, path, transport.explain(uri, endpoint.host(), e), pull);
            }
            if (code == 200) {
                return c;
            }
            String location = c.getHeaderField("Location");
            String challenge = c.getHeaderField("WWW-Authenticate");
            String body = errorBody(c);
            pull.unregister(c);
            c.disconnect();
            if (code == 401 && !retried && sameHost(uri, endpoint)) {
                authorizations.put(scope, authorize(endpoint, challenge, credentials, pull));
                retried = true;
                continue;
            }
            if ((code == 301 || code == 302 || code == 303 || code == 307 || code == 308) && location != null) {
                uri = uri.resolve(location);
                redirects++;
                continue;
            }
            if (code == 401 || code == 403) {
                throw new BackendException(BackendException.Kind.PERMISSION_DENIED, String.format(
                        "registry %s refused %s access to %s (HTTP %d)%s", endpoint.host(), credentials.isEmpty() ? "anonymous" : "the given credentials'",
                        endpoint.repository(), code, body));
            }
            if (code == 404) {
                throw BackendException.notFound("registry %s has no %s in repository %s%s", endpoint.host(), path, endpoint.repository(), body);
            }
            throw BackendException.unavailable("registry %s answered HTTP %d for %s of %s%s", endpoint.host(), code, path, endpoint.repository(), body);
        }
        throw BackendException.unavailable("registry %s: more than %d redirects for %s", endpoint.host(), MAX_REDIRECTS, path);
    }

    private HttpURLConnection connect(URI uri, Endpoint endpoint, String accept, String authorization, Pull pull) {
        try {
            HttpURLConnection c = transport.open(uri, endpoint.host());
            c.setInstanceFollowRedirects(false);
            c.setConnectTimeout((int) Math.min(Integer.MAX_VALUE, stallTimeout.toMillis()));
            c.setReadTimeout((int) Math.min(Integer.MAX_VALUE, stallTimeout.toMillis()));
            c.setRequestProperty("Accept", accept);
            c.setRequestProperty("User-Agent", "crisp");
            if (authorization != null) {
                c.setRequestProperty("Authorization", authorization);
            }
            pull.register(c);
            return c;
        } catch (IOException e) {
            throw BackendException.unavailable("cannot connect to %s: %s", uri.getAuthority(), TransportFailures.describe(uri.getAuthority(), e));
        }
    }

    /** The Authorization header value for a 401's challenge. */
    private String authorize(Endpoint endpoint, String header, RegistryCredentials credentials, Pull pull) {
        AuthChallenge challenge = AuthChallenge.parse(header).orElseThrow(() -> new BackendException(BackendException.Kind.PERMISSION_DENIED,
                "registry " + endpoint.host() + " requires authentication but sent no WWW-Authenticate challenge"));
        if (challenge.scheme().equals("basic")) {
            if (credentials.username().isEmpty() && credentials.identityToken().isPresent()) {
                throw new BackendException(BackendException.Kind.PERMISSION_DENIED, "registry " + endpoint.host() + " asks for Basic authentication,"
                        + " but the credentials are an identity token, which only a bearer token server takes; it is not sent as a password");
            }
            if (credentials.username().isEmpty()) {
                throw new BackendException(BackendException.Kind.PERMISSION_DENIED,
                        "registry " + endpoint.host() + " requires a username and password for " + endpoint.repository() + " and none were given");
            }
            return basic(credentials);
        }
        if (!challenge.scheme().equals("bearer")) {
            throw new BackendException(BackendException.Kind.PERMISSION_DENIED,
                    "registry " + endpoint.host() + " asks for unsupported authentication scheme '" + challenge.scheme() + "'");
        }
        if (credentials.registryToken().isPresent()) {
            return "Bearer " + credentials.registryToken().get();
        }
        return "Bearer " + token(endpoint, challenge, credentials, pull);
    }

    private String token(Endpoint endpoint, AuthChallenge challenge, RegistryCredentials credentials, Pull pull) {
        String realm = challenge.param("realm");
        if (realm.isEmpty()) {
            throw new BackendException(BackendException.Kind.PERMISSION_DENIED, "registry " + endpoint.host() + " sent a bearer challenge without a realm");
        }
        String scope = challenge.param("scope").isEmpty() ? "repository:" + endpoint.repository() + ":pull" : challenge.param("scope");
        StringBuilder query = new StringBuilder();
        if (!challenge.param("service").isEmpty()) {
            query.append("service=").append(URLEncoder.encode(challenge.param("service"), StandardCharsets.UTF_8)).append('&');
        }
        query.append("scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
        try {
            HttpURLConnection c;
            if (credentials.identityToken().isPresent()) {
                // OAuth2 refresh-token grant, as Docker's token servers accept identity tokens.
                c = connect(URI.create(realm), endpoint, "application/json", null, pull);
                c.setRequestMethod("POST");
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/x-www-form-urlencoded");
                String form = query + "&grant_type=refresh_token&client_id=crisp&refresh_token="
                        + URLEncoder.encode(credentials.identityToken().get(), StandardCharsets.UTF_8);
                try (OutputStream out = c.getOutputStream()) {
                    out.write(form.getBytes(StandardCharsets.UTF_8));
                }
            } else {
                c = connect(URI.create(realm + (realm.contains("?") ? "&" : "?") + query), endpoint, "application/json",
                        credentials.username().isPresent() ? basic(credentials) : null, pull);
            }
            try {
                int code = c.getResponseCode();
                if (code != 200) {
                    throw new BackendException(BackendException.Kind.PERMISSION_DENIED, String.format(
                            "token server %s refused %s for %s (HTTP %d)", URI.create(realm).getAuthority(),
                            credentials.isEmpty() ? "anonymous access" : "the given credentials", endpoint.repository(), code));
                }
                JsonNode answer = JSON.readTree(c.getInputStream());
                String token = answer.path("token").asText(answer.path("access_token").asText(""));
                if (token.isEmpty()) {
                    throw new BackendException(BackendException.Kind.PERMISSION_DENIED, "token server " + URI.create(realm).getAuthority() + " sent no token");
                }
                return token;
            } finally {
                pull.unregister(c);
            }
        } catch (IOException e) {
            throw BackendException.unavailable("token server %s: %s", URI.create(realm).getAuthority(),
                    TransportFailures.describe(URI.create(realm).getAuthority(), e));
        }
    }

    private static String basic(RegistryCredentials credentials) {
        String pair = credentials.username().orElse("") + ":" + credentials.password().orElse("");
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    private ResolvedImage toImage(Fetched manifest, JsonNode node, ImageReference ref, String topDigest) {
        String type = Manifests.mediaType(node, manifest.contentType);
        if (!MediaTypes.MANIFESTS.contains(type)) {
            throw BackendException.invalidArgument("image \"%s\": unsupported manifest type \"%s\" (crisp reads OCI and Docker schema 2)", ref, type);
        }
        List<Descriptor> layers = new ArrayList<>();
        for (JsonNode layer : node.path("layers")) {
            layers.add(Manifests.descriptor(layer, ref));
        }
        return new ResolvedImage(manifest.digest, type, manifest.bytes, Manifests.descriptor(node.path("config"), ref), layers, topDigest);
    }

    private JsonNode parse(byte[] bytes, ImageReference ref, Endpoint endpoint) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            throw BackendException.invalidArgument("image \"%s\": registry %s served a manifest that is not JSON", ref, endpoint.host());
        }
    }

    private static String base(Endpoint endpoint) {
        return (endpoint.insecure() ? "http://" : "https://") + endpoint.host();
    }

    private static boolean sameHost(URI uri, Endpoint endpoint) {
        return endpoint.host().equalsIgnoreCase(uri.getAuthority());
    }

    private static String errorBody(HttpURLConnection c) {
        try (InputStream err = c.getErrorStream()) {
            if (err == null) {
                return "";
            }
            JsonNode body = JSON.readTree(err.readNBytes(4096));
            JsonNode first = body.path("errors").path(0);
            return first.isMissingNode() ? "" : ": " + first.path("code").asText() + " " + first.path("message").asText();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private BackendException stalled(Endpoint endpoint, String what) {
        log.warn("Pull from {} stalled: no data for {} on {}", endpoint.host(), stallTimeout, what);
        return BackendException.unavailable("registry %s sent no data for %s while sending %s (image_pull_progress_timeout)",
                endpoint.host(), io.crisp.spi.Durations.format(stallTimeout), what);
    }

    private static BackendException failed(Endpoint endpoint, String what, IOException e, Pull pull) {
        if (pull.cancelled().isPresent()) {
            return new BackendException(BackendException.Kind.DEADLINE_EXCEEDED, pull.cancelled().get());
        }
        return new BackendException(BackendException.Kind.UNAVAILABLE,
                String.format("registry %s: reading %s failed: %s", endpoint.host(), what,
                        TransportFailures.describe(endpoint.host(), e)), e); // the cause tells a full disk
    }
}
