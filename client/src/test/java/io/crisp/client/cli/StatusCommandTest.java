package io.crisp.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

final class StatusCommandTest {
    @Test
    void textAlignsSectionsAndHandlerColumns() throws Exception {
        String summary = """
                {"version": {"runtime": "0.1.0", "spi": "1.1.0", "cri": "v1"},
                 "socket": "unix:///run/crisp/crisp.sock",
                 "daemon": {"pid": 4242, "started_at": "2026-01-01T00:00:00Z", "uptime_seconds": 3725, "log": "/var/log/crisp.log"},
                 "network": {"ready": false, "reason": "NetworkPluginNotReady", "message": "no CNI config in /etc/cni/net.d"},
                 "handlers": [
                   {"name": "runc", "plugin": "runc", "plugin_version": "0.1.0", "default": true, "ready": true, "pods": 1},
                   {"name": "kata-fc", "plugin": "kata", "plugin_version": "2.0.0", "default": false, "ready": false,
                    "reason": "RuntimeBinaryMissing", "pods": 0}],
                 "pods": {"total": 2, "ready": 1, "not_ready": 1},
                 "containers": {"total": 3, "created": 1, "running": 1, "exited": 1, "unknown": 0},
                 "images": {"count": 2, "bytes": 4404019},
                 "image_filesystems": [{"mountpoint": "/var/lib/crisp/images", "used_bytes": 5000000, "inodes_used": 42}],
                 "endpoints": {"streaming": "http://127.0.0.1:40123"}}
                """;
        assertEquals("""
                Version:     crisp 0.1.0 (CRI v1, plugin SPI 1.1.0)
                Socket:      unix:///run/crisp/crisp.sock
                Daemon:      pid 4242, up 1h2m, log /var/log/crisp.log
                Network:     not ready (NetworkPluginNotReady: no CNI config in /etc/cni/net.d)
                Handlers:    runc     default  plugin runc 0.1.0  ready                             1 pod
                             kata-fc           plugin kata 2.0.0  not ready (RuntimeBinaryMissing)  0 pods
                Pods:        2 total: 1 ready, 1 not ready
                Containers:  3 total: 1 created, 1 running, 1 exited, 0 unknown
                Images:      2, 4.2 MiB
                Image store: /var/lib/crisp/images: 4.8 MiB used, 42 inodes
                Streaming:   http://127.0.0.1:40123
                Metrics:     off (metrics_port = 0)""", StatusCommand.text(new ObjectMapper().readTree(summary)));
    }

    @Test
    void uptimeIsShort() {
        assertEquals(List.of("59s", "1m0s", "1h2m", "2d3h"), List.of(StatusCommand.uptime(59), StatusCommand.uptime(60),
                StatusCommand.uptime(3725), StatusCommand.uptime(2 * 86400 + 3 * 3600 + 5)));
    }

    @Test
    void bytesAreBinaryUnitsWithOneDecimal() {
        assertEquals(List.of("0 B", "1023 B", "1.0 KiB", "1.5 MiB", "2.0 GiB"),
                List.of(StatusCommand.bytes(0), StatusCommand.bytes(1023), StatusCommand.bytes(1024), StatusCommand.bytes(3 << 19),
                        StatusCommand.bytes(2L << 30)));
    }
}
