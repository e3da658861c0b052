package io.crisp.core.server;

import io.crisp.core.convert.ImageResponses;
import io.crisp.core.image.ImagePins;
import io.crisp.core.image.ImageService;
import io.crisp.cri.v1.ImageFsInfoRequest;
import io.crisp.cri.v1.ImageFsInfoResponse;
import io.crisp.cri.v1.ImageServiceGrpc;
import io.crisp.cri.v1.ImageStatusRequest;
import io.crisp.cri.v1.ImageStatusResponse;
import io.crisp.cri.v1.ListImagesRequest;
import io.crisp.cri.v1.ListImagesResponse;
import io.crisp.cri.v1.PullImageRequest;
import io.crisp.cri.v1.PullImageResponse;
import io.crisp.cri.v1.RemoveImageRequest;
import io.crisp.cri.v1.RemoveImageResponse;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * CRI {@code ImageService} over crisp's image store. PullImage honours the caller's deadline and
 * cancellation (the kubelet sends none and relies on the stall timeout); the other calls answer
 * from memory. The unfiltered ListImages answer is kept, with its bytes, until the store or the
 * pinned images change (see {@link ListCache}). StreamImages is not offered yet and answers UNIMPLEMENTED.
 */
public final class ImageServiceImpl implements ImageServiceGrpc.AsyncService, BindableService {
    private final ImageService images;
    /** The containers' writable layers (ImageFsInfo's container_filesystems); null: not reported. */
    private final java.util.function.Supplier<io.crisp.core.bundle.Bundles.WritableLayer> containerLayers;
    private final ListCache<ListImagesResponse> all = new ListCache<>();

    public ImageServiceImpl(ImageService images) {
        this(images, null);
    }

    public ImageServiceImpl(ImageService images, java.util.function.Supplier<io.crisp.core.bundle.Bundles.WritableLayer> containerLayers) {
        this.images = images;
        this.containerLayers = containerLayers;
    }

    @Override
    public void pullImage(PullImageRequest request, StreamObserver<PullImageResponse> observer) {
        Rpc.unary(observer, "PullImage", () -> {
            String image = ImageResponses.imageName(request.hasImage(), request.getImage(), "image");
            Context context = Context.current();
            Deadline deadline = context.getDeadline();
            Optional<Duration> wait = deadline == null ? Optional.empty()
                    : Optional.of(Duration.ofNanos(Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS))));
            Context.CancellationListener onCancel = c -> {
                if (deadline == null || !deadline.isExpired()) {
                    images.cancelPull(image);
                }
            };
            context.addListener(onCancel, Runnable::run);
            try {
                return PullImageResponse.newBuilder()
                        .setImageRef(images.pull(image, ImageResponses.credentials(request.hasAuth(), request.getAuth()), wait).id()).build();
            } finally {
                context.removeListener(onCancel);
            }
        });
    }

    @Override
    public void imageStatus(ImageStatusRequest request, StreamObserver<ImageStatusResponse> observer) {
        Rpc.unary(observer, "ImageStatus", () -> ImageResponses.status(
                images.status(ImageResponses.imageName(request.hasImage(), request.getImage(), "image")), request.getVerbose(), images.pinned()));
    }

    @Override
    public void listImages(ListImagesRequest request, StreamObserver<ListImagesResponse> observer) {
        Rpc.unary(observer, "ListImages", () -> {
            String filter = request.hasFilter() && request.getFilter().hasImage() ? request.getFilter().getImage().getImage() : "";
            if (filter.isEmpty()) {
                // The version is read before the store, as ListCache asks; the pins are the same instance until a reload changes them.
                ImagePins pins = images.pins();
                return all.get(images.version(), pins, () -> ImageResponses.list(images.list(Optional.empty()), pins::pinned));
            }
            return ImageResponses.list(images.list(Optional.of(filter)), images.pinned());
        });
    }

    /** The generated binding, with the ListImages answer sent as the cached bytes when it is the cached one. */
    @Override
    public ServerServiceDefinition bindService() {
        // By name, not by descriptor, as RuntimeServiceImpl: the cached method has its own marshaller.
        ServerServiceDefinition.Builder service = ServerServiceDefinition.builder(ImageServiceGrpc.SERVICE_NAME);
        String list = ImageServiceGrpc.getListImagesMethod().getFullMethodName();
        for (ServerMethodDefinition<?, ?> method : ImageServiceGrpc.bindService(this).getMethods()) {
            if (method.getMethodDescriptor().getFullMethodName().equals(list)) {
                @SuppressWarnings("unchecked")
                ServerMethodDefinition<ListImagesRequest, ListImagesResponse> listImages =
                        (ServerMethodDefinition<ListImagesRequest, ListImagesResponse>) method;
                service.addMethod(all.sendCachedBytes(listImages));
            } else {
                service.addMethod(method);
            }
        }
        return service.build();
    }

    @Override
    public void removeImage(RemoveImageRequest request, StreamObserver<RemoveImageResponse> observer) {
        Rpc.unary(observer, "RemoveImage", () -> {
            images.remove(ImageResponses.imageName(request.hasImage(), request.getImage(), "image"));
            return RemoveImageResponse.getDefaultInstance();
        });
    }

    @Override
    public void imageFsInfo(ImageFsInfoRequest request, StreamObserver<ImageFsInfoResponse> observer) {
        Rpc.unary(observer, "ImageFsInfo", () -> ImageResponses.fsInfo(images.fsUsage(),
                containerLayers == null ? null : containerLayers.get()));
    }
}
