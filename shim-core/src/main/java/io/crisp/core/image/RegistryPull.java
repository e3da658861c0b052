package io.crisp.core.image;

import com.fasterxml.jackson.databind.JsonNode;
import io.crisp.core.image.auth.RegistryAuth;
import io.crisp.core.image.policy.RegistryAttachments;
import io.crisp.core.image.policy.SignaturePolicy;
import io.crisp.core.image.ref.DockerAuthFile;
import io.crisp.core.image.ref.ImageReference;
import io.crisp.core.image.ref.RegistriesConf;
import io.crisp.core.image.ref.RegistriesConf.Endpoint;
import io.crisp.core.image.ref.RegistryCredentials;
import io.crisp.core.image.registry.Descriptor;
import io.crisp.core.image.registry.RegistryClient;
import io.crisp.core.image.registry.ResolvedImage;
import io.crisp.core.image.registry.transport.Transport;
import io.crisp.core.image.store.ContentStore;
import io.crisp.core.oci.ImageConfigSummary;
import io.crisp.core.state.Json;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One download of one image, the shared part of a PullImage ({@link ImageService#pull} lets
 * concurrent callers of one name wait on one of these): registries.conf's endpoints in order, the
 * signature policy on the manifest before any blob, the config, the layers in parallel (each
 * unpacked as soon as it has arrived), the image record last. What it added is deleted again when it
 * fails, unless another image uses it.
 */
final class RegistryPull {
    private static final Logger log = LoggerFactory.getLogger(RegistryPull.class);

    /** What every pull of a service shares: the stores, the transports, the threads layers download on. */
    record Stores(ContentStore blobs, LayerStore layers, ImageStore images, ImageGarbage garbage, Transport.Shared transport,
                  ExecutorService threads) {}

    private final Stores stores;
    private final ImageService.PullSettings settings;
    private final Optional<SignaturePolicy> policy;
    private final ImageService.PullObserver observer;
    private final ImageReference ref;
    private final RegistryCredentials requestCredentials;
    private final RegistryClient.Pull pull;
    private final Transfers.Transfer transfer;
    /** Blobs and layers this pull stored: what a failure deletes (unless another image uses them). */
    private final List<String> addedBlobs = new ArrayList<>();
    private final List<String> addedLayers = new ArrayList<>();
    /** Digests pinned against the garbage collection of a concurrent RemoveImage while this pull runs. */
    private final Set<String> touched = ConcurrentHashMap.newKeySet();

    RegistryPull(Stores stores, ImageService.PullSettings settings, Optional<SignaturePolicy> policy, ImageService.PullObserver observer,
            ImageReference ref, RegistryCredentials requestCredentials, RegistryClient.Pull pull, Transfers.Transfer transfer) {
        this.stores = stores;
        this.settings = settings;
        this.policy = policy;
        this.observer = observer;
        this.ref = ref;
        this.requestCredentials = requestCredentials;
        this.pull = pull;
        this.transfer = transfer;
    }

    ImageRecord run() {
        long started = System.nanoTime();
        RegistriesConf conf = RegistriesConf.loadWithDropIns(settings.registriesConf());
        conf.checkNotBlocked(ref);
        RegistryAuth auth = new RegistryAuth(DockerAuthFile.load(settings.authFile()), settings.credentialHelperTimeout()); // per pull: see RegistryAuth
        RegistryClient client = new RegistryClient(settings.stallTimeout(), stores.transport().forPull(settings.certsDirs()));
        try {
            RuntimeException lastFailure = null;
            for (Endpoint endpoint : conf.endpoints(ref)) {
                try {
                    RegistryCredentials credentials = requestCredentials.isEmpty() ? auth.forEndpoint(endpoint.host(), ref.registry())
                            : requestCredentials;
                    ImageRecord image = pullFrom(endpoint, credentials, client);
                    log.info("Pulled {} from {} in {} ms: {} layer(s), {} bytes", ref, endpoint.host(),
                            (System.nanoTime() - started) / 1_000_000, image.layers().size(), image.size());
                    observer.pulled(ref.name(), image.size(), System.nanoTime() - started);
                    return image;
                } catch (BackendException e) {
                    if (pull.cancelled().isPresent() || !endpoint.mirror() || e.kind() == BackendException.Kind.INVALID_ARGUMENT) {
                        throw e;
                    }
                    log.info("Mirror {} failed for {} ({}); trying the next endpoint", endpoint.host(), ref, e.getMessage());
                    lastFailure = e;
                }
            }
            throw lastFailure != null ? lastFailure : BackendException.unavailable("no endpoint for %s", ref);
        } catch (RuntimeException e) {
            observer.failed(System.nanoTime() - started);
            stores.garbage().discard(addedBlobs, addedLayers, touched);
            if (pull.cancelled().isPresent()) {
                throw new BackendException(BackendException.Kind.DEADLINE_EXCEEDED, pull.cancelled().get());
            }
            throw e;
        } finally {
            stores.garbage().unpin(touched);
        }
    }

    private ImageRecord pullFrom(Endpoint endpoint, RegistryCredentials credentials, RegistryClient client) {
        ResolvedImage resolved = client.resolve(endpoint, ref, credentials, settings.platform(), pull);
        // Before anything is stored: a refused image leaves nothing behind.
        // Signatures are over what the reference names (a multi-platform image's index), as in containers/image.
        policy.ifPresent(p -> p.check(ref, resolved.topDigest(), new RegistryAttachments(client, endpoint, ref, credentials, pull)));
        long bytes = Math.max(0, resolved.config().size()) + resolved.layers().stream().mapToLong(l -> Math.max(0, l.size())).sum();
        transfer.expect(bytes, resolved.layers().size());
        transfer.layers(resolved.layers());
        ImageGarbage garbage = stores.garbage();
        garbage.pin(touched, resolved.manifestDigest());
        garbage.pin(touched, resolved.config().digest());
        resolved.layers().forEach(l -> garbage.pin(touched, l.digest()));
        fetch(client, endpoint, resolved.config(), credentials, new AtomicLong());
        JsonNode config = readJson(resolved.config().digest());
        List<String> diffIds = new ArrayList<>();
        config.path("rootfs").path("diff_ids").forEach(d -> diffIds.add(d.asText()));
        diffIds.forEach(d -> garbage.pin(touched, d));
        if (diffIds.size() != resolved.layers().size()) {
            throw BackendException.invalidArgument("image \"%s\": config lists %d diff_ids for %d layers", ref, diffIds.size(), resolved.layers().size());
        }
        long downloadStart = System.nanoTime();
        downloadLayers(client, endpoint, resolved.layers(), diffIds, credentials);
        List<ImageRecord.Layer> recordLayers = new ArrayList<>();
        long size = resolved.config().size();
        for (int i = 0; i < diffIds.size(); i++) {
            Descriptor layer = resolved.layers().get(i);
            recordLayers.add(new ImageRecord.Layer(layer.digest(), diffIds.get(i), layer.size(), layer.mediaType()));
            size += Math.max(0, layer.size());
        }
        log.info("Image {}: {} layer(s) downloaded and unpacked in {} ms", ref, diffIds.size(), (System.nanoTime() - downloadStart) / 1_000_000);
        if (!stores.blobs().has(resolved.manifestDigest())) {
            stores.blobs().ingest(resolved.manifestDigest(), resolved.manifest());
            addedBlobs.add(resolved.manifestDigest());
        }
        ImageRecord image = new ImageRecord(resolved.config().digest(), List.of(), List.of(), size, ImageConfigSummary.of(config), recordLayers,
                System.currentTimeMillis());
        Optional<String> tag = ref.tag().isPresent() && ref.digest().isEmpty() ? Optional.of(ref.toString()) : Optional.empty();
        return stores.images().put(image, tag, Optional.of(ref.name() + "@" + resolved.manifestDigest()));
    }

    /** {@code max_concurrent_downloads} layers at a time; each is unpacked as soon as it has arrived, while the others still download. */
    private void downloadLayers(RegistryClient client, Endpoint endpoint, List<Descriptor> layerBlobs, List<String> diffIds,
            RegistryCredentials credentials) {
        Semaphore slots = new Semaphore(settings.maxConcurrentDownloads());
        AtomicReference<RuntimeException> first = new AtomicReference<>();
        List<CompletableFuture<Void>> tasks = new ArrayList<>();
        for (int i = 0; i < layerBlobs.size(); i++) {
            Descriptor layer = layerBlobs.get(i);
            String diffId = diffIds.get(i);
            Transfers.Layer progress = transfer.layer(i);
            tasks.add(CompletableFuture.runAsync(() -> {
                try {
                    slots.acquireUninterruptibly();
                    try {
                        if (first.get() == null) {
                            progress.state(stores.blobs().has(layer.digest()) ? Transfers.Layer.State.PRESENT : Transfers.Layer.State.DOWNLOADING);
                            fetch(client, endpoint, layer, credentials, progress.counter());
                        }
                    } finally {
                        slots.release();
                    }
                    boolean downloaded = progress.state() == Transfers.Layer.State.DOWNLOADING;
                    if (downloaded) {
                        progress.state(Transfers.Layer.State.UNPACKING);
                    }
                    if (first.get() == null && stores.layers().unpack(layer.digest(), diffId)) {
                        synchronized (addedLayers) {
                            addedLayers.add(diffId);
                        }
                    }
                    if (downloaded) {
                        progress.state(Transfers.Layer.State.DONE);
                    }
                    transfer.layerDone();
                } catch (RuntimeException e) {
                    // The first failure is the one to report; the others are its consequences.
                    if (first.compareAndSet(null, e)) {
                        pull.abort();
                    }
                }
            }, stores.threads()));
        }
        tasks.forEach(CompletableFuture::join);
        if (first.get() != null) {
            throw first.get();
        }
    }

    /** Stores {@code blob} unless it is there; its bytes count into the pull's and into {@code blobBytes}. */
    private void fetch(RegistryClient client, Endpoint endpoint, Descriptor blob, RegistryCredentials credentials, AtomicLong blobBytes) {
        if (stores.blobs().has(blob.digest())) {
            transfer.addBytes(Math.max(0, blob.size())); // already here: done as far as progress goes
            return;
        }
        client.fetchBlob(endpoint, blob, credentials, stores.blobs(), pull, blobBytes);
        synchronized (addedBlobs) {
            addedBlobs.add(blob.digest());
        }
    }

    private JsonNode readJson(String digest) {
        try {
            return Json.MAPPER.readTree(stores.blobs().read(digest));
        } catch (IOException e) {
            throw BackendException.invalidArgument("image \"%s\": config %s is not JSON", ref, digest);
        }
    }
}
