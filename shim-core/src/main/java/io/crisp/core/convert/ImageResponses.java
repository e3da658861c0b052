package io.crisp.core.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.core.image.ImageRecord;
import io.crisp.core.image.ImageService;
import io.crisp.core.image.ref.RegistryCredentials;
import io.crisp.core.state.Json;
import io.crisp.cri.v1.AuthConfig;
import io.crisp.cri.v1.FilesystemIdentifier;
import io.crisp.cri.v1.FilesystemUsage;
import io.crisp.cri.v1.Image;
import io.crisp.cri.v1.ImageFsInfoResponse;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.ImageStatusResponse;
import io.crisp.cri.v1.Int64Value;
import io.crisp.cri.v1.ListImagesResponse;
import io.crisp.cri.v1.UInt64Value;
import io.crisp.spi.BackendException;
import java.util.List;
import java.util.function.Predicate;

/** CRI image messages to and from core image records. */
public final class ImageResponses {
    private static final ObjectMapper JSON = Json.MAPPER;

    private ImageResponses() {}

    /** The image name a request carries, refusing an absent one with the field's name. */
    public static String imageName(boolean hasSpec, ImageSpec spec, String field) {
        if (!hasSpec || spec.getImage().isEmpty()) {
            throw BackendException.invalidArgument("%s.image: an image name or id is required", field);
        }
        return spec.getImage();
    }

    public static RegistryCredentials credentials(boolean hasAuth, AuthConfig auth) {
        if (!hasAuth) {
            return RegistryCredentials.fromAuthConfig("", "", "", "", "");
        }
        return RegistryCredentials.fromAuthConfig(auth.getUsername(), auth.getPassword(), auth.getAuth(), auth.getIdentityToken(),
                auth.getRegistryToken());
    }

    public static Image toProto(ImageRecord image) {
        return toProto(image, false);
    }

    /** The CRI image; {@code pinned} tells the kubelet's image GC to keep it. */
    public static Image toProto(ImageRecord image, boolean pinned) {
        Image.Builder b = Image.newBuilder()
                .setPinned(pinned)
                .setId(image.id())
                .addAllRepoTags(image.repoTags())
                .addAllRepoDigests(image.repoDigests())
                .setSize(image.size())
                .setSpec(ImageSpec.newBuilder().setImage(image.id()));
        // CRI: uid when the image's user is numeric (alone or uid:gid), username otherwise.
        String user = image.config().user();
        String name = user.contains(":") ? user.substring(0, user.indexOf(':')) : user;
        if (isUid(name)) {
            b.setUid(Int64Value.newBuilder().setValue(Long.parseLong(name)));
        } else {
            b.setUsername(name);
        }
        return b.build();
    }

    /** Decimal digits only ({@code \d+}), checked without a regular expression: ListImages asks it of every image. */
    private static boolean isUid(String user) {
        if (user.isEmpty()) {
            return false;
        }
        for (int i = 0; i < user.length(); i++) {
            char c = user.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    public static ImageStatusResponse status(java.util.Optional<ImageRecord> image, boolean verbose) {
        return status(image, verbose, i -> false);
    }

    public static ImageStatusResponse status(java.util.Optional<ImageRecord> image, boolean verbose, Predicate<ImageRecord> pinned) {
        // CRI: an absent image is an empty response, not an error.
        if (image.isEmpty()) {
            return ImageStatusResponse.getDefaultInstance();
        }
        ImageStatusResponse.Builder b = ImageStatusResponse.newBuilder().setImage(toProto(image.get(), pinned.test(image.get())));
        if (verbose) {
            ObjectNode info = JSON.createObjectNode();
            info.set("config", JSON.valueToTree(image.get().config()));
            info.set("layers", JSON.valueToTree(image.get().layers()));
            info.put("pulled_at_millis", image.get().pulledAtMillis());
            b.putInfo("info", info.toString());
        }
        return b.build();
    }

    public static ListImagesResponse list(List<ImageRecord> images) {
        return list(images, i -> false);
    }

    public static ListImagesResponse list(List<ImageRecord> images, Predicate<ImageRecord> pinned) {
        ListImagesResponse.Builder b = ListImagesResponse.newBuilder();
        images.forEach(i -> b.addImages(toProto(i, pinned.test(i))));
        return b.build();
    }

    public static ImageFsInfoResponse fsInfo(ImageService.FsUsage usage) {
        return fsInfo(usage, null);
    }

    /**
     * The image store's usage, and with {@code containers} (not null) the containers' writable layers
     * as {@code container_filesystems}, as CRI-O reports its container storage beside its image storage.
     */
    public static ImageFsInfoResponse fsInfo(ImageService.FsUsage usage, io.crisp.core.bundle.Bundles.WritableLayer containers) {
        ImageFsInfoResponse.Builder response = ImageFsInfoResponse.newBuilder().addImageFilesystems(FilesystemUsage.newBuilder()
                .setTimestamp(usage.measuredAtMillis() * 1_000_000L)
                .setFsId(FilesystemIdentifier.newBuilder().setMountpoint(usage.mountpoint().toString()))
                .setUsedBytes(UInt64Value.newBuilder().setValue(usage.bytes()))
                .setInodesUsed(UInt64Value.newBuilder().setValue(usage.inodes())));
        if (containers != null) {
            response.addContainerFilesystems(FilesystemUsage.newBuilder()
                    .setTimestamp(System.currentTimeMillis() * 1_000_000L)
                    .setFsId(FilesystemIdentifier.newBuilder().setMountpoint(containers.directory().toString()))
                    .setUsedBytes(UInt64Value.newBuilder().setValue(containers.bytes()))
                    .setInodesUsed(UInt64Value.newBuilder().setValue(containers.inodes())));
        }
        return response.build();
    }
}
