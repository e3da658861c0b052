package io.crisp.client.cli;

import io.crisp.cri.v1.AuthConfig;
import io.crisp.cri.v1.Image;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.ListImagesRequest;
import io.crisp.cri.v1.PullImageRequest;
import io.crisp.cri.v1.RemoveImageRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code crisp images}: the running daemon's image store through its CRI socket, as
 * {@code crictl images}, {@code crictl pull} and {@code crictl rmi} would use it.
 */
@Command(name = "images", sortOptions = false,
        description = "List, pull, remove or import images in the running daemon's store (ls, pull, rm, import PATH).")
public final class ImagesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", description = "ls, pull, rm or import")
    String action;

    @Parameters(index = "1..*", arity = "0..*", description = "image names or ids (pull, rm); OCI layouts or archives (import)")
    List<String> images = List.of();

    @Mixin
    ClientOptions client;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table", description = "ls: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    Output output;

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto",
            description = "pull, import: ${COMPLETION-CANDIDATES}; auto is bar (each layer, redrawn in place) on a terminal, lines otherwise")
    TransferProgress.Mode progress;

    @Option(names = "--progress-interval", hidden = true, defaultValue = "2s", converter = DurationConverter.class,
            description = "how often lines are printed")
    Duration progressInterval;

    @Option(names = {"-q", "--quiet"}, description = "pull, import: no progress, only the result (same as --progress none)")
    boolean quiet;

    @Option(names = "--creds", description = "USER:PASSWORD for pull (prefer the auth file; this shows in ps)")
    String creds;

    @Override
    public Integer call() {
        if (!List.of("ls", "pull", "rm", "import").contains(action)) {
            throw CriCall.usage(spec, "unknown action '" + action + "' (ls, pull, rm, import)");
        }
        return CriCall.run(spec, "images " + action, Duration.ofHours(1), cri -> {
            switch (action) {
                case "ls" -> {
                    if (output == Output.json) {
                        var list = ProtoJson.JSON.createArrayNode();
                        cri.images().listImages(ListImagesRequest.getDefaultInstance()).getImagesList().forEach(i -> list.add(ProtoJson.toJson(i)));
                        System.out.println(ProtoJson.pretty(list));
                        return 0;
                    }
                    System.out.printf("%-72s %-20s %10s%n", "IMAGE", "ID", "SIZE");
                    for (Image image : cri.images().listImages(ListImagesRequest.getDefaultInstance()).getImagesList()) {
                        String id = image.getId().substring("sha256:".length(), "sha256:".length() + 13);
                        List<String> names = image.getRepoTagsCount() > 0 ? image.getRepoTagsList() : image.getRepoDigestsList();
                        for (String name : names.isEmpty() ? List.of("<none>") : names) {
                            System.out.printf("%-72s %-20s %9.1fM%n", name, id, image.getSize() / 1e6);
                        }
                    }
                }
                case "pull" -> {
                    for (String image : requireImages()) {
                        PullImageRequest.Builder request = PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image));
                        if (creds != null) {
                            int colon = creds.indexOf(':');
                            request.setAuth(AuthConfig.newBuilder().setUsername(colon < 0 ? creds : creds.substring(0, colon))
                                    .setPassword(colon < 0 ? "" : creds.substring(colon + 1)));
                        }
                        long started = System.nanoTime();
                        String ref;
                        try (TransferProgress shown = TransferProgress.start(cri, TransferProgress.pullOf(image), progressMode(), progressInterval,
                                System.err)) {
                            ref = cri.images().pullImage(request.build()).getImageRef();
                        }
                        System.out.printf("%s %s (%d ms)%n", image, ref, (System.nanoTime() - started) / 1_000_000);
                    }
                }
                case "rm" -> {
                    for (String image : requireImages()) {
                        cri.images().removeImage(RemoveImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build());
                        System.out.println("removed " + image);
                    }
                }
                case "import" -> {
                    for (String path : requireImages()) {
                        String absolute;
                        try {
                            absolute = java.nio.file.Path.of(path).toAbsolutePath().toString();
                        } catch (java.nio.file.InvalidPathException e) {
                            throw new CriCall.UsageException(e.getMessage());
                        }
                        io.crisp.admin.v1.ImportImagesResponse response;
                        try (TransferProgress shown = TransferProgress.start(cri, TransferProgress.importOf(absolute), progressMode(), progressInterval,
                                System.err)) {
                            response = cri.admin().importImages(io.crisp.admin.v1.ImportImagesRequest.newBuilder().setPath(absolute).build());
                        }
                        for (var image : response.getImagesList()) {
                            System.out.println("imported " + String.join(", ", image.getRepoTagsList()) + " " + image.getId());
                        }
                    }
                }
                default -> throw new IllegalStateException(action);
            }
            return 0;
        });
    }

    private TransferProgress.Mode progressMode() {
        return quiet ? TransferProgress.Mode.none : progress;
    }

    private List<String> requireImages() {
        if (images.isEmpty()) {
            throw new CriCall.UsageException("name at least one image");
        }
        return images;
    }

    /** {@code 5s}, {@code 200ms}: a duration as the daemon's configuration writes them. */
    static final class DurationConverter implements picocli.CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return io.crisp.spi.Durations.parse(value);
        }
    }
}
