package io.crisp.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.Container;
import io.crisp.cri.v1.FilesystemUsage;
import io.crisp.cri.v1.Image;
import io.crisp.cri.v1.ImageFsInfoRequest;
import io.crisp.cri.v1.ImageFsInfoResponse;
import io.crisp.cri.v1.ListContainersRequest;
import io.crisp.cri.v1.ListImagesRequest;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.PodSandbox;
import io.crisp.cri.v1.StatusRequest;
import io.crisp.cri.v1.StatusResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code crisp status}: a summary of the running daemon from its CRI socket: versions and handlers
 * (Status, verbose), pods and containers by state, images and the image store's use (ImageFsInfo),
 * and the streaming and metrics servers' addresses. Plain aligned text, or JSON with {@code --json}.
 */
@Command(name = "status", versionProvider = ClientVersion.class, mixinStandardHelpOptions = true,
        description = "Summarise the running daemon: version, handlers, pods and containers by state, images, servers.")
public final class StatusCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INDENT = " ".repeat(13);

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "print the summary as JSON")
    boolean json;

    @Override
    public Integer call() {
        return CriCall.run(spec, "status", Duration.ofSeconds(30), cri -> {
            ObjectNode summary = summary(cri);
            System.out.println(json ? JSON.writerWithDefaultPrettyPrinter().writeValueAsString(summary) : text(summary));
            return 0;
        });
    }

    /** What the daemon reports, gathered into one JSON object (what {@code --json} prints). */
    static ObjectNode summary(CriClient cri) {
        StatusResponse status = cri.runtime().status(StatusRequest.newBuilder().setVerbose(true).build());
        Map<String, String> info = status.getInfoMap();
        ObjectNode summary = JSON.createObjectNode();
        summary.set("version", parse(info.get("version")));
        summary.put("socket", "unix://" + cri.socket());
        ArrayNode handlers = summary.putArray("handlers");
        for (JsonNode h : parse(info.get("handlers"))) {
            ObjectNode handler = handlers.addObject();
            handler.put("name", h.path("name").asText());
            handler.put("plugin", h.path("plugin").asText());
            handler.put("plugin_version", h.path("plugin_version").asText());
            handler.put("default", h.path("default").asBoolean());
            handler.put("ready", h.path("health").path("ready").asBoolean());
            if (h.path("health").has("reason")) {
                handler.put("reason", h.path("health").path("reason").asText());
            }
            handler.put("pods", h.path("pods").asInt());
        }
        JsonNode daemon = info.containsKey("daemon") ? parse(info.get("daemon")) : JSON.createObjectNode();
        ObjectNode daemonNode = summary.putObject("daemon").put("pid", daemon.path("pid").asLong());
        if (daemon.has("started_at")) {
            Instant started = Instant.parse(daemon.path("started_at").asText());
            daemonNode.put("started_at", started.toString()).put("uptime_seconds", Duration.between(started, Instant.now()).toSeconds());
        }
        daemonNode.put("log", daemon.path("log").asText(""));
        ObjectNode network = summary.putObject("network");
        status.getStatus().getConditionsList().stream().filter(c -> c.getType().equals("NetworkReady")).findFirst().ifPresent(c -> {
            network.put("ready", c.getStatus());
            if (!c.getStatus()) {
                network.put("reason", c.getReason()).put("message", c.getMessage());
            }
        });
        ObjectNode pods = summary.putObject("pods");
        List<PodSandbox> podList = cri.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList();
        pods.put("total", podList.size());
        pods.put("ready", podList.stream().filter(p -> p.getState() == io.crisp.cri.v1.PodSandboxState.SANDBOX_READY).count());
        pods.put("not_ready", podList.stream().filter(p -> p.getState() == io.crisp.cri.v1.PodSandboxState.SANDBOX_NOTREADY).count());
        ObjectNode containers = summary.putObject("containers");
        List<Container> containerList = cri.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersList();
        containers.put("total", containerList.size());
        for (String state : List.of("created", "running", "exited", "unknown")) {
            String name = "CONTAINER_" + state.toUpperCase(Locale.ROOT);
            containers.put(state, containerList.stream().filter(c -> c.getState().name().equals(name)).count());
        }
        List<Image> images = cri.images().listImages(ListImagesRequest.getDefaultInstance()).getImagesList();
        ObjectNode imageNode = summary.putObject("images");
        imageNode.put("count", images.size());
        imageNode.put("bytes", images.stream().mapToLong(Image::getSize).sum());
        ImageFsInfoResponse fs = cri.images().imageFsInfo(ImageFsInfoRequest.getDefaultInstance());
        ArrayNode stores = summary.putArray("image_filesystems");
        for (FilesystemUsage usage : fs.getImageFilesystemsList()) {
            stores.addObject().put("mountpoint", usage.getFsId().getMountpoint()).put("used_bytes", usage.getUsedBytes().getValue())
                    .put("inodes_used", usage.getInodesUsed().getValue());
        }
        summary.set("endpoints", info.containsKey("endpoints") ? parse(info.get("endpoints")) : JSON.createObjectNode());
        return summary;
    }

    static String uptime(long seconds) {
        long d = seconds / 86400;
        long h = seconds % 86400 / 3600;
        long m = seconds % 3600 / 60;
        return d > 0 ? d + "d" + h + "h" : h > 0 ? h + "h" + m + "m" : m > 0 ? m + "m" + seconds % 60 + "s" : seconds + "s";
    }

    /** The summary as aligned text: one labelled line per section, handlers one per line. */
    static String text(JsonNode s) {
        StringBuilder out = new StringBuilder();
        JsonNode v = s.path("version");
        line(out, "Version:", "crisp " + v.path("runtime").asText() + " (CRI " + v.path("cri").asText() + ", plugin SPI "
                + v.path("spi").asText() + ")");
        line(out, "Socket:", s.path("socket").asText());
        JsonNode d = s.path("daemon");
        if (d.path("pid").asLong() > 0) {
            line(out, "Daemon:", "pid " + d.path("pid").asLong()
                    + (d.has("uptime_seconds") ? ", up " + uptime(d.path("uptime_seconds").asLong()) : "") + ", log " + d.path("log").asText());
        }
        JsonNode n = s.path("network");
        line(out, "Network:", !n.has("ready") ? "unknown" : n.path("ready").asBoolean() ? "ready"
                : "not ready (" + n.path("reason").asText() + ": " + n.path("message").asText() + ")");
        List<String[]> rows = new ArrayList<>();
        for (JsonNode h : s.path("handlers")) {
            rows.add(new String[] {h.path("name").asText(), h.path("default").asBoolean() ? "default" : "",
                "plugin " + h.path("plugin").asText() + " " + h.path("plugin_version").asText(),
                h.path("ready").asBoolean() ? "ready" : "not ready" + (h.has("reason") ? " (" + h.path("reason").asText() + ")" : ""),
                h.path("pods").asInt() + (h.path("pods").asInt() == 1 ? " pod" : " pods")});
        }
        List<String> handlerLines = table(rows);
        if (handlerLines.isEmpty()) {
            line(out, "Handlers:", "none");
        }
        for (int i = 0; i < handlerLines.size(); i++) {
            line(out, i == 0 ? "Handlers:" : "", handlerLines.get(i));
        }
        JsonNode pods = s.path("pods");
        line(out, "Pods:", pods.path("total").asLong() + " total: " + pods.path("ready").asLong() + " ready, "
                + pods.path("not_ready").asLong() + " not ready");
        JsonNode c = s.path("containers");
        line(out, "Containers:", c.path("total").asLong() + " total: " + c.path("created").asLong() + " created, "
                + c.path("running").asLong() + " running, " + c.path("exited").asLong() + " exited, " + c.path("unknown").asLong() + " unknown");
        JsonNode images = s.path("images");
        line(out, "Images:", images.path("count").asLong() + ", " + bytes(images.path("bytes").asLong()));
        boolean first = true;
        for (JsonNode fs : s.path("image_filesystems")) {
            line(out, first ? "Image store:" : "", fs.path("mountpoint").asText() + ": " + bytes(fs.path("used_bytes").asLong()) + " used, "
                    + fs.path("inodes_used").asLong() + " inodes");
            first = false;
        }
        JsonNode endpoints = s.path("endpoints");
        line(out, "Streaming:", endpoints.path("streaming").asText("unknown"));
        line(out, "Metrics:", endpoints.has("metrics") ? endpoints.path("metrics").asText() : "off (metrics_port = 0)");
        return out.toString().stripTrailing();
    }

    private static void line(StringBuilder out, String label, String value) {
        out.append(label).append(" ".repeat(Math.max(1, INDENT.length() - label.length()))).append(value).append('\n');
    }

    /** Rows as columns padded to their widest cell, two spaces apart; trailing blanks dropped. */
    static List<String> table(List<String[]> rows) {
        int columns = rows.isEmpty() ? 0 : rows.get(0).length;
        int[] widths = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                line.append(i < columns - 1 ? String.format("%-" + widths[i] + "s  ", row[i]) : row[i]);
            }
            lines.add(line.toString().stripTrailing());
        }
        return lines;
    }

    /** {@code 0 B}, {@code 812 B}, {@code 4.2 MiB}. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = n;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    private static JsonNode parse(String text) {
        if (text == null) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException("the daemon's Status info is not JSON: " + e.getMessage(), e);
        }
    }
}
