package io.crisp.core.daemon;

import io.crisp.core.os.UnixDatagram;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sd_notify protocol: newline-separated {@code KEY=VALUE} lines in one datagram to
 * {@code $NOTIFY_SOCKET}. A failed send never reaches the caller; the first one is logged at WARN.
 */
final class ServiceNotifier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServiceNotifier.class);
    /** The launcher moves {@code NOTIFY_SOCKET} here so that runc, conmon and hooks do not inherit it. */
    static final String LAUNCHER_VARIABLE = "CRISP_NOTIFY_SOCKET";

    private final String address;
    private final AtomicBoolean warned = new AtomicBoolean();
    private UnixDatagram socket;

    ServiceNotifier(String address) {
        this.address = address;
    }

    /** The notifier for this environment's socket, empty when the service manager set none. */
    static Optional<ServiceNotifier> fromEnvironment(Map<String, String> env) {
        String address = env.getOrDefault("NOTIFY_SOCKET", env.get(LAUNCHER_VARIABLE));
        return address == null || address.isEmpty() ? Optional.empty() : Optional.of(new ServiceNotifier(address));
    }

    String address() {
        return address;
    }

    /** One datagram's text; a value's newlines become spaces, since a newline ends a field. */
    static String message(Map<String, String> fields) {
        StringBuilder text = new StringBuilder();
        fields.forEach((key, value) -> text.append(key).append('=').append(value.replace('\n', ' ')).append('\n'));
        return text.toString();
    }

    static Map<String, String> fields(String... keyValues) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            fields.put(keyValues[i], keyValues[i + 1]);
        }
        return fields;
    }

    synchronized void send(Map<String, String> fields) {
        try {
            if (socket == null) {
                socket = UnixDatagram.open();
            }
            socket.send(address, message(fields).getBytes(StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            if (warned.compareAndSet(false, true)) {
                log.warn("Cannot notify the service manager on {} (further failures are not logged): {}", address, e.getMessage());
            }
        }
    }

    @Override
    public synchronized void close() {
        if (socket != null) {
            socket.close();
            socket = null;
        }
    }
}
