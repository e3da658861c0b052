package io.crisp.core.image;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.oci.ImageConfigSummary;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImagePinsTest {
    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    private static ImageRecord image(List<String> tags, List<String> digests) {
        return new ImageRecord("sha256:" + "cd".repeat(32), tags, digests, 1,
                new ImageConfigSummary("", null, null, null, "", "", null, null), List.of(), 0);
    }

    @Test
    void pauseImageIsPinnedThroughItsNormalisedTag() {
        ImagePins pins = ImagePins.of("pause:3.10", List.of());
        assertTrue(pins.pinned(image(List.of("docker.io/library/pause:3.10"), List.of())));
        assertFalse(pins.pinned(image(List.of("docker.io/library/pause:3.9"), List.of())), "another tag is not the pause image");
        assertFalse(pins.pinned(image(List.of("registry.k8s.io/pause:3.10"), List.of())), "another registry is not the pause image");
    }

    @Test
    void pauseImageByDigestMatchesTheRepoDigest() {
        ImagePins pins = ImagePins.of("registry.k8s.io/pause:3.10@" + DIGEST, List.of());
        assertTrue(pins.pinned(image(List.of(), List.of("registry.k8s.io/pause@" + DIGEST))));
        assertFalse(pins.pinned(image(List.of("registry.k8s.io/pause:3.10"), List.of("registry.k8s.io/pause@sha256:" + "ef".repeat(32)))),
                "the same tag with another digest is another image");
    }

    @Test
    void anyTagOfAnImageMatches() {
        ImagePins pins = ImagePins.of("", List.of("example.com/app:v2"));
        assertTrue(pins.pinned(image(List.of("example.com/app:v1", "example.com/app:v2"), List.of())));
        assertFalse(pins.pinned(image(List.of("example.com/app:v1"), List.of())));
    }

    @Test
    void trailingStarMatchesByPrefixOfTheFullyQualifiedName() {
        ImagePins pins = ImagePins.of("", List.of("registry.k8s.io/pause*", "docker.io/library/busy*"));
        assertTrue(pins.pinned(image(List.of("registry.k8s.io/pause:3.9"), List.of())));
        assertTrue(pins.pinned(image(List.of(), List.of("registry.k8s.io/pause@" + DIGEST))));
        assertTrue(pins.pinned(image(List.of("docker.io/library/busybox:1.36"), List.of())));
        assertFalse(pins.pinned(image(List.of("registry.k8s.io/kube-proxy:v1.30.0"), List.of())));
        assertFalse(pins.pinned(image(List.of("quay.io/registry.k8s.io/pause:3.9"), List.of())), "a prefix anchors at the start");
    }

    @Test
    void exactEntryIsNormalisedLikeAPull() {
        ImagePins pins = ImagePins.of("", List.of("busybox"));
        assertTrue(pins.pinned(image(List.of("docker.io/library/busybox:latest"), List.of())));
        assertFalse(pins.pinned(image(List.of("docker.io/library/busybox:1.36"), List.of())), "an exact name without tag means :latest");
    }

    @Test
    void anEntryThatIsNoImageNamePinsNothingAndKeepsTheOthers() {
        ImagePins pins = ImagePins.of("", List.of("Not A Name", "example.com/app:v1"));
        assertTrue(pins.pinned(image(List.of("example.com/app:v1"), List.of())));
        assertFalse(pins.pinned(image(List.of("example.com/other:v1"), List.of())));
    }

    @Test
    void noPinsPinNothing() {
        assertFalse(ImagePins.NONE.pinned(image(List.of("registry.k8s.io/pause:3.10"), List.of())));
        assertFalse(ImagePins.of("", List.of()).pinned(image(List.of("registry.k8s.io/pause:3.10"), List.of())));
    }

    @Test
    void cachedPinsFollowTheSettingsWhenTheyChange() {
        java.util.concurrent.atomic.AtomicReference<List<String>> patterns = new java.util.concurrent.atomic.AtomicReference<>(List.of());
        java.util.function.Supplier<ImagePins> pins = ImagePins.cached(() -> "", patterns::get);
        ImageRecord app = image(List.of("example.com/app:v1"), List.of());
        assertFalse(pins.get().pinned(app));
        assertTrue(pins.get() == pins.get(), "unchanged settings reuse the pins");
        patterns.set(List.of("example.com/*"));
        assertTrue(pins.get().pinned(app), "a reload that adds an entry applies to the next answer");
    }
}
