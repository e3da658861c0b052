package io.crisp.core.server;

import io.crisp.cri.v1.ImageServiceGrpc;

/**
 * CRI {@code ImageService}. The image store arrives with issue 3; until then every call answers
 * UNIMPLEMENTED naming the method (the generated base does so), so the kubelet sees a clear error
 * rather than an empty image list it would trust.
 */
public final class ImageServiceImpl extends ImageServiceGrpc.ImageServiceImplBase {
}
