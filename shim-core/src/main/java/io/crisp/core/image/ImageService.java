package io.crisp.core.image;

import io.crisp.core.image.policy.SignaturePolicy;
import io.crisp.core.image.ref.ImageReference;
import io.crisp.core.image.ref.RegistryCredentials;
import io.crisp.core.image.registry.RegistryClient;
import io.crisp.core.image.registry.transport.ProxyConfig;
import io.crisp.core.image.registry.transport.Transport;
import io.crisp.core.image.store.ContentStore;
import io.crisp.core.state.FileTrees;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
    private final ExecutorService pulls = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "crisp-pull");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();
    /** Keeps what running pulls and imports touch; deletes what no image references. */
    private final ImageGarbage garbage;
    private final RegistryPull.Stores stores;
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
        this.stores = new RegistryPull.Stores(blobs, layers, images, garbage, transport, pulls);
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
                f.result = CompletableFuture.supplyAsync(() -> new RegistryPull(stores, settings.get(), signaturePolicy.get(), pullObserver, ref,
                        credentials, f.pull, f.transfer).run(), pulls);
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
