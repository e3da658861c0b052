package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.admin.v1.ImportImagesRequest;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ContainerMetadata;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.ExecSyncResponse;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.Mount;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.RemoveContainerRequest;
import io.crisp.cri.v1.StopContainerRequest;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image-defined volumes on a real daemon with runc: an image with {@code VOLUME /data} (the busybox test
 * image plus a layer with /data/seed.txt owned by 1000:1000, mode 0640, built here) gives the container
 * a writable /data seeded from the image, whose data a restart (the next attempt in the same pod) finds,
 * and which is gone once the last container of that name is removed; a CRI mount at /data replaces it.
 */
final class ImageVolumesIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String IMAGE = "localhost/crisp/volume:latest";

    @TempDir
    Path dir;

    @Test
    void volumeIsSeededWritableSurvivesARestartAndGoesWithTheContainer() throws Exception {
        Pods.requirePrerequisites();
        try (TestNetwork network = TestNetwork.create(dir);
                DaemonProcess daemon = Pods.daemon(dir.resolve("d"), network, "")) {
            CriClient client = daemon.client();
            Path layout = volumeImage(dir.resolve("d").resolve("images").resolve("busybox"), dir.resolve("volume-image"));
            client.admin().importImages(ImportImagesRequest.newBuilder().setPath(layout.toString()).build());

            PodSandboxConfig pod = Pods.pod("volumes", dir.resolve("logs")).build();
            String podId = Pods.run(client, pod);
            String first = Pods.createAndStart(client, podId, pod, app(0).build());
            assertEquals("seeded\n", exec(client, first, "cat", "/data/seed.txt"));
            assertEquals("1000:1000 640\n1000:1000 750\n", exec(client, first, "busybox", "stat", "-c", "%u:%g %a", "/data/seed.txt", "/data"),
                    "owner and mode come from the image");
            assertEquals("0\n", exec(client, first, "sh", "-c", "echo kept > /data/written; echo $?"));
            Path volume = daemon.root.resolve("volumes").resolve(podId).resolve("app")
                    .resolve(URLEncoder.encode("/data", StandardCharsets.UTF_8));
            assertEquals("kept\n", Files.readString(volume.resolve("written")), "the volume lives in " + volume);

            client.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(first).setTimeout(2).build());
            String second = Pods.createAndStart(client, podId, pod, app(1).build());
            assertEquals("kept\n", exec(client, second, "cat", "/data/written"), "the restarted container finds the data");
            client.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(first).build());
            assertTrue(Files.isDirectory(volume), "the next attempt still uses the volume");

            String mounted = Pods.createAndStart(client, podId, pod, Pods.container("mounted", "sleep", "600")
                    .setImage(ImageSpec.newBuilder().setImage(IMAGE))
                    .addMounts(Mount.newBuilder().setContainerPath("/data").setHostPath(dir.resolve("host-data").toString()))
                    .build());
            assertEquals("", exec(client, mounted, "ls", "/data"), "a CRI mount at /data replaces the volume");
            assertFalse(Files.exists(daemon.root.resolve("volumes").resolve(podId).resolve("mounted")));

            client.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(second).setTimeout(2).build());
            client.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(second).build());
            assertFalse(Files.exists(volume), "the volume is removed with the last container of its name");
            Pods.removeAll(client);
            assertFalse(Files.exists(daemon.root.resolve("volumes").resolve(podId)));
        }
    }

    private static io.crisp.cri.v1.ContainerConfig.Builder app(int attempt) {
        return Pods.container("app", "sleep", "600").setImage(ImageSpec.newBuilder().setImage(IMAGE))
                .setMetadata(ContainerMetadata.newBuilder().setName("app").setAttempt(attempt))
                .setLogPath("app/" + attempt + ".log");
    }

    private static String exec(CriClient client, String id, String... cmd) {
        ExecSyncResponse r = client.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id).setTimeout(20)
                .addAllCmd(List.of(cmd)).build());
        return r.getStdout().toStringUtf8() + r.getStderr().toStringUtf8();
    }

    /**
     * A copy of the busybox image layout at {@code busybox} with one more layer (/data at 0750 and
     * /data/seed.txt at 0640, both 1000:1000) and {@code Volumes: {"/data": {}}}, named {@link #IMAGE}.
     */
    private static Path volumeImage(Path busybox, Path out) throws Exception {
        Path blobs = Files.createDirectories(out.resolve("blobs").resolve("sha256"));
        try (var files = Files.list(busybox.resolve("blobs").resolve("sha256"))) {
            for (Path blob : files.toList()) {
                Files.copy(blob, blobs.resolve(blob.getFileName()));
            }
        }
        Files.copy(busybox.resolve("oci-layout"), out.resolve("oci-layout"));
        Path root = Files.createDirectories(out.resolveSibling("volume-layer").resolve("data"));
        Files.writeString(root.resolve("seed.txt"), "seeded\n");
        Path tar = out.resolveSibling("volume-layer.tar");
        run("chmod", "0640", root.resolve("seed.txt").toString());
        run("chmod", "0750", root.toString());
        run("tar", "--numeric-owner", "--owner=1000", "--group=1000", "-C", root.getParent().toString(), "-cf", tar.toString(), "data");
        byte[] layerTar = Files.readAllBytes(tar);
        java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
        try (OutputStream z = new GZIPOutputStream(gz)) {
            z.write(layerTar);
        }
        String layer = blob(blobs, gz.toByteArray());

        ObjectNode index = (ObjectNode) JSON.readTree(busybox.resolve("index.json").toFile());
        ObjectNode manifest = (ObjectNode) JSON.readTree(blobs.resolve(digestHex(index.path("manifests").get(0))).toFile());
        ObjectNode config = (ObjectNode) JSON.readTree(blobs.resolve(digestHex(manifest.path("config"))).toFile());
        ((ObjectNode) config.path("config")).putObject("Volumes").putObject("/data");
        ((ArrayNode) config.path("rootfs").path("diff_ids")).add("sha256:" + sha256(layerTar));
        byte[] configBytes = JSON.writeValueAsBytes(config);
        ((ObjectNode) manifest.path("config")).put("digest", "sha256:" + blob(blobs, configBytes)).put("size", configBytes.length);
        ((ArrayNode) manifest.path("layers")).addObject().put("mediaType", "application/vnd.oci.image.layer.v1.tar+gzip")
                .put("digest", "sha256:" + layer).put("size", gz.size());
        byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
        ObjectNode entry = (ObjectNode) index.path("manifests").get(0);
        entry.put("digest", "sha256:" + blob(blobs, manifestBytes)).put("size", manifestBytes.length);
        ((ObjectNode) entry.path("annotations")).put("io.containerd.image.name", IMAGE);
        Files.write(out.resolve("index.json"), JSON.writeValueAsBytes(index));
        return out;
    }

    private static String digestHex(com.fasterxml.jackson.databind.JsonNode descriptor) {
        return descriptor.path("digest").asText().substring("sha256:".length());
    }

    private static String blob(Path blobs, byte[] content) throws Exception {
        String hex = sha256(content);
        Files.write(blobs.resolve(hex), content);
        return hex;
    }

    private static String sha256(byte[] content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + output);
    }
}
