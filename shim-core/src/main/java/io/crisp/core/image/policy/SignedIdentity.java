package io.crisp.core.image.policy;

import com.fasterxml.jackson.databind.JsonNode;
import io.crisp.core.image.ref.ImageReference;
import io.crisp.spi.BackendException;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code signedIdentity} of a signedBy or sigstoreSigned requirement: which identity (the
 * {@code docker-reference} a signature claims) is acceptable for the image being pulled. Absent, it
 * is {@code matchRepoDigestOrExact}.
 */
record SignedIdentity(String type, Optional<ImageReference> reference, Optional<String> repository, String prefix, String signedPrefix) {
    static final SignedIdentity DEFAULT = new SignedIdentity("matchRepoDigestOrExact", Optional.empty(), Optional.empty(), "", "");

    static SignedIdentity parse(JsonNode node, String where) {
        if (node == null) {
            return DEFAULT;
        }
        if (!node.isObject()) {
            throw PolicyException.invalid(where + " is not an object");
        }
        String type = node.path("type").asText("");
        switch (type) {
            case "matchExact", "matchRepoDigestOrExact", "matchRepository" -> {
                Requirement.onlyFields(node, where, Set.of("type"));
                return new SignedIdentity(type, Optional.empty(), Optional.empty(), "", "");
            }
            case "exactReference" -> {
                Requirement.onlyFields(node, where, Set.of("type", "dockerReference"));
                String text = Requirement.optionalText(node, "dockerReference", where)
                        .orElseThrow(() -> PolicyException.invalid(where + ": exactReference needs dockerReference"));
                return new SignedIdentity(type, Optional.of(reference(text, where + ".dockerReference")), Optional.empty(), "", "");
            }
            case "exactRepository" -> {
                Requirement.onlyFields(node, where, Set.of("type", "dockerRepository"));
                String text = Requirement.optionalText(node, "dockerRepository", where)
                        .orElseThrow(() -> PolicyException.invalid(where + ": exactRepository needs dockerRepository"));
                return new SignedIdentity(type, Optional.empty(), Optional.of(reference(text, where + ".dockerRepository").name()), "", "");
            }
            case "remapIdentity" -> {
                Requirement.onlyFields(node, where, Set.of("type", "prefix", "signedPrefix"));
                String prefix = Requirement.optionalText(node, "prefix", where)
                        .orElseThrow(() -> PolicyException.invalid(where + ": remapIdentity needs prefix"));
                String signedPrefix = Requirement.optionalText(node, "signedPrefix", where)
                        .orElseThrow(() -> PolicyException.invalid(where + ": remapIdentity needs signedPrefix"));
                return new SignedIdentity(type, Optional.empty(), Optional.empty(), prefix, signedPrefix);
            }
            default -> throw PolicyException.invalid(where + ".type: unknown signedIdentity \"" + type + "\"");
        }
    }

    private static ImageReference reference(String text, String where) {
        try {
            return ImageReference.parse(text);
        } catch (BackendException e) {
            throw PolicyException.invalid(where + ": " + e.getMessage());
        }
    }

    /** Whether a signature claiming {@code signed} may stand for {@code image}, the reference being pulled. */
    boolean accepts(ImageReference image, ImageReference signed) {
        return switch (type) {
            case "matchExact" -> image.toString().equals(signed.toString());
            case "matchRepoDigestOrExact" -> repoDigestOrExact(image, signed);
            case "matchRepository" -> image.name().equals(signed.name());
            case "exactReference" -> reference.orElseThrow().toString().equals(signed.toString());
            case "exactRepository" -> repository.orElseThrow().equals(signed.name());
            case "remapIdentity" -> repoDigestOrExact(remapped(image), signed);
            default -> false;
        };
    }

    /** A digest reference accepts any signature of its repository; a tag reference only a signature of exactly that tag. */
    private static boolean repoDigestOrExact(ImageReference image, ImageReference signed) {
        return image.isDigested() ? image.name().equals(signed.name()) : image.toString().equals(signed.toString());
    }

    /** {@code image} with {@code prefix} replaced by {@code signedPrefix}, when the prefix matches whole path components. */
    private ImageReference remapped(ImageReference image) {
        String text = image.toString();
        String name = image.name();
        if (name.equals(prefix) || name.startsWith(prefix + "/") || (prefix.endsWith("/") && name.startsWith(prefix))) {
            try {
                return ImageReference.parse(signedPrefix + text.substring(prefix.length()));
            } catch (BackendException e) {
                return image;
            }
        }
        return image;
    }

    String describe() {
        return switch (type) {
            case "exactReference" -> type + " " + reference.orElseThrow();
            case "exactRepository" -> type + " " + repository.orElseThrow();
            case "remapIdentity" -> type + " " + prefix + " -> " + signedPrefix;
            default -> type;
        };
    }
}
