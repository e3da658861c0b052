package io.crisp.plugin.kit.conmon;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.plugin.kit.Json;
import io.crisp.spi.model.ContainerState;
import java.io.IOException;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start of a sandbox or container in its files ({@code started}): written once the runtime's
 * start returned, and adopted from the runtime's own state when a killed daemon never wrote it.
 */
final class StartRecords {
    private static final Logger LOG = LoggerFactory.getLogger(StartRecords.class);
    private static final ObjectMapper JSON = Json.MAPPER;

    private final ContainerFiles files;
    private final RuntimeCli cli;

    StartRecords(ContainerFiles files, RuntimeCli cli) {
        this.files = files;
        this.cli = cli;
    }

    /** The runtime's start of {@code t} returned: now is its start time. */
    void record(Tracked t) {
        Instant now = Instant.now();
        t.started(now);
        try {
            files.writeStarted(t.id, now);
        } catch (IOException e) {
            LOG.warn("container {}: cannot record its start; after a restart it will show as created", t.id, e);
        }
    }

    /**
     * A daemon killed between the runtime's start and the record of it leaves a container that runs
     * but whose files say created: the runtime's own state settles it (the start time is then when
     * this was noticed). A container without a pid was never created in the runtime: nothing to ask.
     */
    void adoptUnrecorded(Tracked t) {
        if (t.startedAt().isPresent() || t.pid().isEmpty() || t.containerState().phase() != ContainerState.Phase.CREATED) {
            return;
        }
        RuntimeCli.Result r = cli.state(t.id);
        if (!r.ok()) {
            return;
        }
        try {
            if (!"running".equals(JSON.readTree(r.output()).path("status").asText())) {
                return;
            }
        } catch (IOException e) {
            LOG.debug("container {}: runtime state printed no JSON: {}", t.id, e.getMessage());
            return;
        }
        record(t);
        LOG.info("container {}: runs, but its start was not recorded (the daemon was killed during it); taken as started", t.id);
    }
}
