package io.crisp.core.server;

import io.crisp.admin.v1.AdminGrpc;
import io.crisp.admin.v1.ImportImagesRequest;
import io.crisp.admin.v1.ImportImagesResponse;
import io.crisp.admin.v1.ImportedImage;
import io.crisp.core.image.ImageRecord;
import io.crisp.core.image.ImageService;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;

/** crisp's administration API ({@code crisp.admin.v1.Admin}) on the CRI socket: what the CRI has no call for. */
public final class AdminServiceImpl extends AdminGrpc.AdminImplBase {
    private final ImageService images;

    public AdminServiceImpl(ImageService images) {
        this.images = images;
    }

    @Override
    public void importImages(ImportImagesRequest request, StreamObserver<ImportImagesResponse> observer) {
        Rpc.unary(observer, "ImportImages", () -> {
            ImportImagesResponse.Builder response = ImportImagesResponse.newBuilder();
            for (ImageRecord image : images.importImages(Path.of(request.getPath()))) {
                response.addImages(ImportedImage.newBuilder().setId(image.id()).addAllRepoTags(image.repoTags()));
            }
            return response.build();
        });
    }

    @Override
    public void listTransfers(io.crisp.admin.v1.ListTransfersRequest request, StreamObserver<io.crisp.admin.v1.ListTransfersResponse> observer) {
        Rpc.unary(observer, "ListTransfers", () -> {
            io.crisp.admin.v1.ListTransfersResponse.Builder response = io.crisp.admin.v1.ListTransfersResponse.newBuilder();
            for (io.crisp.core.image.Transfers.Transfer t : images.transfers()) {
                io.crisp.admin.v1.Transfer.Builder transfer = io.crisp.admin.v1.Transfer.newBuilder().setKind(t.kind()).setName(t.name())
                        .setBytesDone(t.bytesDone()).setBytesTotal(t.bytesTotal()).setLayersDone(t.layersDone())
                        .setLayersTotal(t.layersTotal()).setStartedUnixMillis(t.startedMillis());
                for (io.crisp.core.image.Transfers.Layer layer : t.layers()) {
                    transfer.addLayers(io.crisp.admin.v1.TransferLayer.newBuilder().setDigest(layer.digest()).setBytesDone(layer.bytesDone())
                            .setBytesTotal(layer.bytesTotal()).setState(layer.state().text()));
                }
                response.addTransfers(transfer);
            }
            return response.build();
        });
    }
}
