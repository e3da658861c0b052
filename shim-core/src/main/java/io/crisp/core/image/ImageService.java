package io.crisp.core.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.core.image.auth.RegistryAuth;
import io.crisp.core.image.policy.RegistryAttachments;
import io.crisp.core.image.policy.SignaturePolicy;
import io.crisp.core.image.ref.DockerAuthFile;
import io.crisp.core.image.ref.ImageReference;
import io.crisp.core.image.ref.RegistriesConf.Endpoint;
import io.crisp.core.image.ref.RegistriesConf;
import io.crisp.core.image.ref.RegistryCredentials;
import io.crisp.core.image.registry.Descriptor;
import io.crisp.core.image.registry.RegistryClient;
import io.crisp.core.image.registry.ResolvedImage;
import io.crisp.core.image.registry.transport.ProxyConfig;
import io.crisp.core.image.registry.transport.Transport;
import io.crisp.core.image.store.ContentStore;
import io.crisp.core.oci.ImageConfigSummary;
import io.crisp.core.state.FileTrees;
import io.crisp.core.state.Json;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * crisp's image store, shared by every handler: pulls from registries, keeps blobs, layers and
 * image records under {@code <root>/images}, answers the CRI image calls from memory.
 *
 * <p>Pull rules:
 * <ol>
 *   <li>Concurrent pulls of one name share one download; each caller waits with its own deadline.
 *       When the last waiter gives up, the pull is cancelled.</li>
 *   <li>Mirrors from registries.conf are tried in order, then the registry itself.</li>
 *   <li>The signature policy (policy.json, registries.d) is checked on the manifest, before any
 *       blob is fetched: a refused image leaves nothing.</li>
 *   <li>Layers download in parallel ({@code max_concurrent_downloads}); each is verified against
 *       its digest while streamed and against its diff_id while unpacked.</li>
 *   <li>The image record is written last. A pull that fails or is cancelled deletes every blob and
 *       layer it added that no other image uses: nothing half-pulled stays.</li>
 * </ol>
 */
public final class ImageService {
    private static final Logger log = LoggerFactory.getLogger(ImageService.class);

    /** Settings a pull reads; re-read on every pull so a reload applies to the next one. */
    public record PullSettings(Path registriesConf, Path authFile, Duration stallTimeout, int maxConcurrentDownloads, String platform,
                               Duration credentialHelperTimeout, List<Path> certsDirs) {
        /** With the default credential helper timeout and no certs.d directories. */
        public PullSettings(Path registriesConf, Path authFile, Duration stallTimeout, int maxConcurrentDownloads, String platform) {
            this(registriesConf, authFile, stallTimeout, maxConcurrentDownloads, platform,
                    Duration.ofSeconds(5), List.of()); // credential_helper_timeout's default
        }
    }

    private final Path root;
    private final ContentStore blobs;
    private final LayerStore layers;
    private final ImageStore images;
    private final Supplier<PullSettings> settings;
    private final ObjectMapper json = Json.MAPPER;
    private final ExecutorService pulls = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "crisp-pull");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();
    /** Keeps what running pulls and imports touch; deletes what no image references. */
    private final ImageGarbage garbage;
    private volatile Predicate<String> inUse = id -> false;
    private volatile FsUsage usage;
    private volatile PullObserver pullObserver = PullObserver.NONE;
    private volatile Supplier<ImagePins> pins = () -> ImagePins.NONE;
    private final Transfers transfers = new Transfers();
    private final PullProgressLog progressLog = new PullProgressLog();
    /** Proxies from the daemon's environment (HTTPS_PROXY, NO_PROXY, ...) and the TLS contexts built from certs.d. */
    private final Transport.Shared transport = new Transport.Shared(ProxyConfig.fromEnvironment());
    /** Empty: no signature policy is enforced (embedders and tests that construct the service); the daemon always sets one. */
    private volatile Supplier<Optional<SignaturePolicy>> signaturePolicy = Optional::empty;

    /** Told when a pull (the shared download, not each waiter) ends; for metrics. Must not throw. */
    public interface PullObserver {
        PullObserver NONE = new PullObserver() {
            @Override
            public void pulled(String repository, long bytes, long nanos) {}

            @Override
            public void failed(long nanos) {}
        };

        /**
         * A pull stored an image of {@code bytes} (its compressed layers and config) in {@code nanos};
         * {@code repository} is its name without tag or digest ({@code docker.io/library/busybox}).
         */
        void pulled(String repository, long bytes, long nanos);

        /** A pull failed or was cancelled after {@code nanos}. */
        void failed(long nanos);
    }

    public ImageService(Path crispRoot, Supplier<PullSettings> settings) {
        this.root = crispRoot.resolve("images");
        this.blobs = new ContentStore(root);
        this.layers = new LayerStore(root, blobs);
        this.images = new ImageStore(root);
        this.garbage = new ImageGarbage(root, blobs, layers, images);
        this.settings = settings;
    }

    /** Loads the store and removes leftovers of interrupted pulls and removals: whatever no image record references. */
    public void start() {
        blobs.cleanIngest();
        layers.cleanPartial();
        LayerStore.deleteTree(root.resolve("import")); // archives an interrupted import extracted
        images.load();
        garbage.collect(); // blobs and layers of a pull or removal the previous daemon did not finish
    }

    public void observePulls(PullObserver observer) {
        this.pullObserver = java.util.Objects.requireNonNull(observer, "observer is null");
    }

    /** How often a running pull is logged ({@code image_pull_log_interval}); a pull shorter than that logs no progress. */
    public void logPullsEvery(Supplier<Duration> interval) {
        progressLog.every(interval);
    }

    /** Where the pinned images come from ({@code pause_image}, {@code pinned_images}); read on every answer, so a reload applies. */
    public void pinning(Supplier<ImagePins> pins) {
        this.pins = java.util.Objects.requireNonNull(pins, "pins is null");
    }

    /**
     * The signature policy every pull must satisfy, read at the start of each pull (so a changed
     * policy.json applies to the next pull); it is checked on the manifest, before any blob is stored.
     */
    public void signaturePolicy(Supplier<Optional<SignaturePolicy>> policy) {
        this.signaturePolicy = java.util.Objects.requireNonNull(policy, "policy is null");
    }

    /** Which images are pinned now (reported to the kubelet, whose image GC then keeps them); read once per answer. */
    public Predicate<ImageRecord> pinned() {
        return pins.get()::pinned;
    }

    /** The pins in force now: the same instance until the settings they come from change (see {@link ImagePins#cached}). */
    public ImagePins pins() {
        return pins.get();
    }

    /** Changes whenever an image is stored, re-tagged or removed: an answer built from {@link #list} holds until it does. */
    public long version() {
        return images.version();
    }

    /** Tells the service which image ids containers use, so RemoveImage can refuse them. */
    public void usedBy(Predicate<String> imageInUse) {
        this.inUse = imageInUse;
    }

    public Path root() {
        return root;
    }

    public LayerStore layers() {
        return layers;
    }

    // ---- PullImage ----

    private final class InFlight {
        final AtomicLong received = new AtomicLong();
        final RegistryClient.Pull pull = new RegistryClient.Pull(received);
        Transfers.Transfer transfer;
        final AtomicInteger waiters = new AtomicInteger();
        CompletableFuture<ImageRecord> result;
    }

    /**
     * Pulls {@code image} and returns the stored record; {@code deadline} is how long this caller
     * waits (empty: until done, as the kubelet pulls without a deadline).
     */
    public ImageRecord pull(String image, RegistryCredentials credentials, Optional<Duration> deadline) {
        ImageReference ref = ImageReference.parse(image);
        InFlight flight = inFlight.compute(ref.toString(), (key, existing) -> {
            // A finished flight can still be mapped for a moment: its waiters wake before its cleanup
            // runs, and a caller retrying at once must not be handed the old answer.
            boolean join = existing != null && !existing.result.isDone();
            InFlight f = join ? existing : new InFlight();
            f.waiters.incrementAndGet();
            if (!join) {
                f.transfer = transfers.begin("pull", ref.toString(), f.received);
                Runnable unwatch = progressLog.watch(f.transfer);
                f.result = CompletableFuture.supplyAsync(() -> doPull(ref, credentials, f.pull, f.transfer), pulls);
                f.result.whenComplete((r, e) -> {
                    unwatch.run();
                    inFlight.remove(key, f);
                    transfers.end(f.transfer);
                });
            }
            return f;
        });
        try {
            return deadline.isPresent() ? flight.result.get(deadline.get().toNanos(), TimeUnit.NANOSECONDS) : flight.result.get();
        } catch (TimeoutException e) {
            if (flight.waiters.decrementAndGet() == 0) {
                flight.pull.cancel("pull of \"" + ref + "\" cancelled: the caller's deadline expired");
            }
            throw new BackendException(BackendException.Kind.DEADLINE_EXCEEDED,
                    "pull of \"" + ref + "\" did not finish within the request's deadline of " + io.crisp.spi.Durations.format(deadline.get()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (flight.waiters.decrementAndGet() == 0) {
                flight.pull.cancel("pull of \"" + ref + "\" cancelled by the caller");
            }
            throw new BackendException(BackendException.Kind.DEADLINE_EXCEEDED, "pull of \"" + ref + "\" was cancelled");
        } catch (ExecutionException e) {
            flight.waiters.decrementAndGet();
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new BackendException(BackendException.Kind.INTERNAL, "pull of \"" + ref + "\" failed: " + e.getCause(), e.getCause());
        }
    }

    /** Cancels a caller's wait, e.g. when its gRPC call is cancelled. */
    public void cancelPull(String image) {
        InFlight f = inFlight.get(ImageReference.parse(image).toString());
        if (f != null && f.waiters.decrementAndGet() <= 0) {
            f.pull.cancel("pull of \"" + image + "\" cancelled by the caller");
        }
    }

    private ImageRecord doPull(ImageReference ref, RegistryCredentials requestCredentials, RegistryClient.Pull pull, Transfers.Transfer transfer) {
        long started = System.nanoTime();
        PullSettings s = settings.get();
        RegistriesConf conf = RegistriesConf.loadWithDropIns(s.registriesConf());
        conf.checkNotBlocked(ref);
        RegistryAuth auth = new RegistryAuth(DockerAuthFile.load(s.authFile()), s.credentialHelperTimeout()); // per pull: see RegistryAuth
        RegistryClient client = new RegistryClient(s.stallTimeout(), transport.forPull(s.certsDirs()));
        Optional<SignaturePolicy> policy = signaturePolicy.get();
        List<String> addedBlobs = new ArrayList<>();
        List<String> addedLayers = new ArrayList<>();
        Set<String> touched = ConcurrentHashMap.newKeySet();
        try {
            RuntimeException lastFailure = null;
            for (Endpoint endpoint : conf.endpoints(ref)) {
                try {
                    RegistryCredentials credentials = requestCredentials.isEmpty() ? auth.forEndpoint(endpoint.host(), ref.registry())
                            : requestCredentials;
                    ImageRecord image = pullFrom(endpoint, ref, credentials, client, s, policy, pull, transfer, addedBlobs, addedLayers,
                            touched);
                    log.info("Pulled {} from {} in {} ms: {} layer(s), {} bytes", ref, endpoint.host(),
                            (System.nanoTime() - started) / 1_000_000, image.layers().size(), image.size());
                    pullObserver.pulled(ref.name(), image.size(), System.nanoTime() - started);
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
            pullObserver.failed(System.nanoTime() - started);
            garbage.discard(addedBlobs, addedLayers, touched);
            if (pull.cancelled().isPresent()) {
                throw new BackendException(BackendException.Kind.DEADLINE_EXCEEDED, pull.cancelled().get());
            }
            throw e;
        } finally {
            garbage.unpin(touched);
        }
    }

    private ImageRecord pullFrom(Endpoint endpoint, ImageReference ref, RegistryCredentials credentials, RegistryClient client,
            PullSettings s, Optional<SignaturePolicy> policy, RegistryClient.Pull pull, Transfers.Transfer transfer, List<String> addedBlobs,
            List<String> addedLayers, Set<String> touched) {
        ResolvedImage resolved = client.resolve(endpoint, ref, credentials, s.platform(), pull);
        // Before anything is stored: a refused image leaves nothing behind.
        // Signatures are over what the reference names (a multi-platform image's index), as in containers/image.
        policy.ifPresent(p -> p.check(ref, resolved.topDigest(), new RegistryAttachments(client, endpoint, ref, credentials, pull)));
        long bytes = Math.max(0, resolved.config().size()) + resolved.layers().stream().mapToLong(l -> Math.max(0, l.size())).sum();
        transfer.expect(bytes, resolved.layers().size());
        transfer.layers(resolved.layers());
        garbage.pin(touched, resolved.manifestDigest());
        garbage.pin(touched, resolved.config().digest());
        resolved.layers().forEach(l -> garbage.pin(touched, l.digest()));
        fetch(client, endpoint, resolved.config(), credentials, pull, transfer, addedBlobs, new AtomicLong());
        JsonNode config = readJson(resolved.config().digest(), ref);
        List<String> diffIds = new ArrayList<>();
        config.path("rootfs").path("diff_ids").forEach(d -> diffIds.add(d.asText()));
        diffIds.forEach(d -> garbage.pin(touched, d));
        if (diffIds.size() != resolved.layers().size()) {
            throw BackendException.invalidArgument("image \"%s\": config lists %d diff_ids for %d layers", ref, diffIds.size(), resolved.layers().size());
        }
        long downloadStart = System.nanoTime();
        // Each layer is unpacked as soon as it has arrived, while the others still download.
        downloadLayers(client, endpoint, resolved.layers(), diffIds, credentials, s.maxConcurrentDownloads(), pull, transfer, addedBlobs,
                addedLayers);
        List<ImageRecord.Layer> recordLayers = new ArrayList<>();
        long size = resolved.config().size();
        for (int i = 0; i < diffIds.size(); i++) {
            Descriptor layer = resolved.layers().get(i);
            recordLayers.add(new ImageRecord.Layer(layer.digest(), diffIds.get(i), layer.size(), layer.mediaType()));
            size += Math.max(0, layer.size());
        }
        log.info("Image {}: {} layer(s) downloaded and unpacked in {} ms", ref, diffIds.size(), (System.nanoTime() - downloadStart) / 1_000_000);
        if (!blobs.has(resolved.manifestDigest())) {
            blobs.ingest(resolved.manifestDigest(), resolved.manifest());
            addedBlobs.add(resolved.manifestDigest());
        }
        ImageRecord image = new ImageRecord(resolved.config().digest(), List.of(), List.of(), size, ImageConfigSummary.of(config), recordLayers,
                System.currentTimeMillis());
        Optional<String> tag = ref.tag().isPresent() && ref.digest().isEmpty() ? Optional.of(ref.toString()) : Optional.empty();
        return images.put(image, tag, Optional.of(ref.name() + "@" + resolved.manifestDigest()));
    }

    private void downloadLayers(RegistryClient client, Endpoint endpoint, List<Descriptor> layerBlobs, List<String> diffIds,
            RegistryCredentials credentials, int parallel, RegistryClient.Pull pull, Transfers.Transfer transfer, List<String> addedBlobs,
            List<String> addedLayers) {
        Semaphore slots = new Semaphore(parallel);
        java.util.concurrent.atomic.AtomicReference<RuntimeException> first = new java.util.concurrent.atomic.AtomicReference<>();
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
                            progress.state(blobs.has(layer.digest()) ? Transfers.Layer.State.PRESENT : Transfers.Layer.State.DOWNLOADING);
                            fetch(client, endpoint, layer, credentials, pull, transfer, addedBlobs, progress.counter());
                        }
                    } finally {
                        slots.release();
                    }
                    boolean downloaded = progress.state() == Transfers.Layer.State.DOWNLOADING;
                    if (downloaded) {
                        progress.state(Transfers.Layer.State.UNPACKING);
                    }
                    if (first.get() == null && layers.unpack(layer.digest(), diffId)) {
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
            }, pulls));
        }
        tasks.forEach(CompletableFuture::join);
        if (first.get() != null) {
            throw first.get();
        }
    }

    /** Stores {@code blob} unless it is there; its bytes count into the pull's and into {@code blobBytes}. */
    private void fetch(RegistryClient client, Endpoint endpoint, Descriptor blob, RegistryCredentials credentials, RegistryClient.Pull pull,
            Transfers.Transfer transfer, List<String> addedBlobs, AtomicLong blobBytes) {
        if (blobs.has(blob.digest())) {
            transfer.addBytes(Math.max(0, blob.size())); // already here: done as far as progress goes
            return;
        }
        client.fetchBlob(endpoint, blob, credentials, blobs, pull, blobBytes);
        synchronized (addedBlobs) {
            addedBlobs.add(blob.digest());
        }
    }

    private JsonNode readJson(String digest, ImageReference ref) {
        try {
            return json.readTree(blobs.read(digest));
        } catch (IOException e) {
            throw BackendException.invalidArgument("image \"%s\": config %s is not JSON", ref, digest);
        }
    }

    // ---- import from disk ----

    /**
     * Loads every image in an OCI layout directory, an OCI archive or a {@code docker save}
     * archive at {@code source}. Blobs are verified like pulled ones; a failure keeps nothing new.
     */
    public List<ImageRecord> importImages(Path source) {
        // Listed before the lock: a second import waiting for the first shows as started, at 0.
        Transfers.Transfer transfer = transfers.begin("import", source.toString(), new AtomicLong());
        try {
            synchronized (this) {
                List<ImageRecord> imported = new ImageImporter(root.resolve("import"), blobs, layers, images, garbage, transfer)
                        .importFrom(source, settings.get().platform());
                usage = null;
                return imported;
            }
        } finally {
            transfers.end(transfer);
        }
    }

    /** The pulls and imports running now. */
    public List<Transfers.Transfer> transfers() {
        return transfers.list();
    }

    // ---- ImageStatus, ListImages, RemoveImage, ImageFsInfo ----

    public Optional<ImageRecord> status(String image) {
        return images.find(image);
    }

    public List<ImageRecord> list(Optional<String> filter) {
        if (filter.isEmpty() || filter.get().isEmpty()) {
            return images.list();
        }
        return images.find(filter.get()).map(List::of).orElse(List.of());
    }

    /**
     * Removes an image with all its tags, then every blob and layer no image uses any more. An
     * absent image is not an error (CRI: RemoveImage is idempotent).
     *
     * @throws BackendException FAILED_PRECONDITION when a container uses the image
     */
    public synchronized void remove(String image) {
        Optional<ImageRecord> found = images.find(image);
        if (found.isEmpty()) {
            return;
        }
        ImageRecord record = found.get();
        if (inUse.test(record.id())) {
            throw BackendException.failedPrecondition("image %s (%s) is used by a container; remove the container first", image, record.id());
        }
        images.remove(record.id());
        garbage.collect();
        usage = null;
        log.info("Removed image {} ({})", record.id(), String.join(", ", record.repoTags()));
    }

    /** Bytes and inodes the store uses, measured at most every 10 s: the kubelet asks often. */
    public record FsUsage(Path mountpoint, long bytes, long inodes, long measuredAtMillis) {}

    public FsUsage fsUsage() {
        FsUsage current = usage;
        if (current != null && System.currentTimeMillis() - current.measuredAtMillis() < 10_000) {
            return current;
        }
        FileTrees.Usage measured = new FileTrees.Usage(0, 0);
        try {
            measured = FileTrees.usage(root); // each inode once: unpacked layers hard-link busybox's applets
        } catch (IOException | java.io.UncheckedIOException e) {
            log.debug("Measuring {} failed: {}", root, e.getMessage());
        }
        current = new FsUsage(root, measured.bytes(), measured.inodes(), System.currentTimeMillis());
        usage = current;
        return current;
    }
}
