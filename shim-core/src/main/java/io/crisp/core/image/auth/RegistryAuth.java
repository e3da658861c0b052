package io.crisp.core.image.auth;

import static java.util.Objects.requireNonNull;

import io.crisp.core.image.ref.DockerAuthFile;
import io.crisp.core.image.ref.ImageReference;
import io.crisp.core.image.ref.RegistryCredentials;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The credentials one pull uses for a registry when its request carries none, from the auth file
 * and the credential helpers it names. For a registry {@code host[:port]}, first match wins:
 * <ol>
 *   <li>{@code credHelpers[host]}: that helper's answer, also when it has nothing (then the pull is
 *       anonymous; an {@code auths} entry for the same host is not consulted, as in
 *       containers-auth.json(5) and containers/image, where a helper entry shadows the file's);</li>
 *   <li>{@code auths[host]} with credentials;</li>
 *   <li>{@code credsStore}: the default helper, asked last. Docker instead asks it in place of every
 *       {@code auths} entry; asking it last keeps a credential written in the file in force and runs
 *       no program when the file already answers (containers/image ignores {@code credsStore}, and
 *       asks its global helpers after the files in the same way);</li>
 *   <li>nothing: anonymous.</li>
 * </ol>
 * Helpers are asked with the registry's host as server URL, exactly as it is in the image name or
 * mirror ({@code 127.0.0.1:5000}); for Docker Hub first with {@code https://index.docker.io/v1/},
 * the key {@code docker login} stores under, then with {@code docker.io}, the one the containers
 * tools use.
 *
 * <p>Answers are cached for this object's life, which is one pull: the mirrors and the registry of
 * a pull are each asked at most once, and the next pull asks again. A longer cache would keep
 * secrets in the daemon's memory after their use and keep serving a rotated or revoked one (cloud
 * helpers hand out tokens that live minutes to hours and cache them themselves); a helper costs a
 * process start, small beside a pull. Failures are not cached.
 */
public final class RegistryAuth {
    private static final Logger log = LoggerFactory.getLogger(RegistryAuth.class);
    /** The server URL Docker's client asks helpers for Docker Hub with. */
    static final String DOCKER_HUB_SERVER_URL = "https://index.docker.io/v1/";

    private final DockerAuthFile file;
    private final Duration helperTimeout;
    private final List<Path> searchPath;
    private final Map<String, RegistryCredentials> answered = new HashMap<>();

    /** For one pull; helpers are looked up on the daemon's {@code PATH}. */
    public RegistryAuth(DockerAuthFile file, Duration helperTimeout) {
        this(file, helperTimeout, CredentialHelper.searchPath(System.getenv("PATH")));
    }

    public RegistryAuth(DockerAuthFile file, Duration helperTimeout, List<Path> searchPath) {
        this.file = requireNonNull(file, "file is null");
        this.helperTimeout = requireNonNull(helperTimeout, "helperTimeout is null");
        this.searchPath = List.copyOf(searchPath);
    }

    /**
     * The credentials for a pull from {@code endpointHost} of an image named under
     * {@code imageRegistry}: those of the endpoint's own host (a mirror's helper is asked for the
     * mirror), else, when the endpoint is another host, the {@code auths} entry of the image's
     * registry, as crisp did before helpers. A helper is never asked about a host on behalf of
     * another, so its secret only goes where it was asked for.
     */
    public synchronized RegistryCredentials forEndpoint(String endpointHost, String imageRegistry) {
        RegistryCredentials own = forRegistry(endpointHost);
        if (!own.isEmpty() || DockerAuthFile.canonicalRegistry(endpointHost).equals(DockerAuthFile.canonicalRegistry(imageRegistry))) {
            return own;
        }
        return file.lookup(imageRegistry).orElse(own);
    }

    /** The credentials for {@code registry} ({@code host[:port]}) by the order above; anonymous when none. */
    public synchronized RegistryCredentials forRegistry(String registry) {
        String key = DockerAuthFile.canonicalRegistry(registry);
        RegistryCredentials known = answered.get(key);
        if (known != null) {
            return known;
        }
        RegistryCredentials found = resolve(registry, key);
        answered.put(key, found);
        return found;
    }

    private RegistryCredentials resolve(String registry, String key) {
        String where = file.file().map(Path::toString).orElse("no auth file");
        Optional<String> helper = file.credentialHelper(registry);
        if (helper.isPresent()) {
            return ask(helper.get(), "credHelpers of " + where, registry, key);
        }
        Optional<RegistryCredentials> entry = file.lookup(registry);
        if (entry.isPresent()) {
            log.debug("Credentials for {}: auths entry of {}", registry, where);
            return entry.get();
        }
        if (file.credentialsStore().isPresent()) {
            return ask(file.credentialsStore().get(), "credsStore of " + where, registry, key);
        }
        log.debug("Credentials for {}: none in {}; pulling anonymously", registry, where);
        return RegistryCredentials.anonymous();
    }

    private RegistryCredentials ask(String name, String origin, String registry, String key) {
        CredentialHelper helper = new CredentialHelper(name, origin, helperTimeout, searchPath);
        for (String serverUrl : serverUrls(key)) {
            Optional<RegistryCredentials> answer = helper.get(serverUrl, registry);
            if (answer.isPresent()) {
                log.debug("Credentials for {}: {} ({}) answered for {}: {}", registry, helper.program(), origin, serverUrl, answer.get());
                return answer.get();
            }
        }
        log.info("Credential helper {} ({}) has no credentials for {}", helper.program(), origin, registry);
        return RegistryCredentials.anonymous();
    }

    /** What the helpers are asked with: {@code host[:port]} in lower case; Docker Hub by both of its keys. */
    static List<String> serverUrls(String key) {
        if (key.equals(ImageReference.DOCKER_HUB)) {
            return List.of(DOCKER_HUB_SERVER_URL, ImageReference.DOCKER_HUB);
        }
        return List.of(key);
    }
}
