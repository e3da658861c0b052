package io.crisp.spi.model;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A checkpoint of a running container (SPI 1.4): where the backend writes the CRIU images and its
 * work files (logs, statistics), whether the container keeps running afterwards, and how long the
 * checkpoint may take.
 *
 * @param imageDir an empty directory for the CRIU images; the core packs it as the archive's {@code checkpoint/}
 * @param workDir a directory for the tool's log ({@code dump.log}) and statistics, also packed into the archive
 * @param leaveRunning whether the container goes on running after the checkpoint (CRI's, the kubelet's, is true)
 * @param timeout the caller's limit; zero means the backend's own default
 */
public record CheckpointSpec(String containerId, Path imageDir, Path workDir, boolean leaveRunning, Duration timeout) {
    public CheckpointSpec {
        requireNonNull(containerId, "containerId is null");
        requireNonNull(imageDir, "imageDir is null");
        requireNonNull(workDir, "workDir is null");
        requireNonNull(timeout, "timeout is null");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout is negative: " + timeout);
        }
    }
}
