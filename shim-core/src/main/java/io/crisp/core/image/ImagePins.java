package io.crisp.core.image;

import io.crisp.core.image.ref.ImageReference;
import io.crisp.spi.BackendException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which stored images are pinned: the CRI {@code Image.pinned} flag, which tells the kubelet's image
 * garbage collector to keep them. Pinned are the pause image ({@code pause_image}) and whatever a
 * {@code pinned_images} entry matches. An entry is an exact name, normalised as a pull would
 * normalise it ({@code pause:3.10} is {@code docker.io/library/pause:3.10}), or a prefix ending in
 * {@code *} compared with the stored, fully qualified names ({@code registry.k8s.io/pause*}).
 * An image matches through any of its tags and digests.
 *
 * <p>Pinning only reports; an explicit RemoveImage of a pinned image still removes it, as in
 * containerd (crictl rmi removes a pinned pause image there too).
 */
public final class ImagePins {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ImagePins.class);
    public static final ImagePins NONE = new ImagePins(List.of(), List.of());

    private final List<String> exact;
    private final List<String> prefixes;

    private ImagePins(List<String> exact, List<String> prefixes) {
        this.exact = List.copyOf(exact);
        this.prefixes = List.copyOf(prefixes);
    }

    /**
     * @param pauseImage the configured pause image; empty pins none
     * @param patterns {@code pinned_images}: exact names or prefixes ending in {@code *}
     *     (an entry that is no image name pins nothing and is logged, so a typo cannot break ListImages)
     */
    public static ImagePins of(String pauseImage, List<String> patterns) {
        List<String> exact = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        if (!pauseImage.isEmpty()) {
            exact.addAll(names(pauseImage, "pause_image"));
        }
        for (String pattern : patterns) {
            if (pattern.endsWith("*")) {
                prefixes.add(pattern.substring(0, pattern.length() - 1));
            } else {
                exact.addAll(names(pattern, "pinned_images"));
            }
        }
        return new ImagePins(exact, prefixes);
    }

    /**
     * Pins built from the current settings, rebuilt only when they change (a reload), so an entry
     * that is no image name is logged once per change rather than on every ListImages.
     */
    public static java.util.function.Supplier<ImagePins> cached(java.util.function.Supplier<String> pauseImage,
            java.util.function.Supplier<List<String>> patterns) {
        java.util.concurrent.atomic.AtomicReference<java.util.Map.Entry<List<Object>, ImagePins>> last =
                new java.util.concurrent.atomic.AtomicReference<>();
        return () -> {
            String pause = pauseImage.get();
            List<String> entries = patterns.get();
            List<Object> key = List.of(pause, entries);
            java.util.Map.Entry<List<Object>, ImagePins> seen = last.get();
            if (seen != null && seen.getKey().equals(key)) {
                return seen.getValue();
            }
            ImagePins pins = of(pause, entries);
            last.set(java.util.Map.entry(key, pins));
            return pins;
        };
    }

    /** The stored forms of a name: as a tag or digest reference, and by digest alone when it has both. */
    private static List<String> names(String text, String key) {
        ImageReference ref;
        try {
            ref = ImageReference.parse(text);
        } catch (BackendException e) {
            log.warn("{}: {} pins nothing: {}", key, text, e.getMessage());
            return List.of();
        }
        List<String> names = new ArrayList<>(List.of(ref.toString()));
        ref.digest().ifPresent(d -> names.add(ref.name() + "@" + d));
        return names;
    }

    /** Plain loops: ListImages asks this of every image, and the kubelet lists images often. */
    public boolean pinned(ImageRecord image) {
        return anyPinned(image.repoTags()) || anyPinned(image.repoDigests());
    }

    private boolean anyPinned(List<String> names) {
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            if (exact.contains(name)) {
                return true;
            }
            for (int p = 0; p < prefixes.size(); p++) {
                if (name.startsWith(prefixes.get(p))) {
                    return true;
                }
            }
        }
        return false;
    }
}
