package io.crisp.core.stream.websocket;

import io.crisp.core.stream.session.ForwardClient;
import io.crisp.core.stream.session.ForwardListener;
import io.crisp.core.stream.session.PortForwardTarget;
import io.crisp.core.stream.session.StreamFailure;
import io.crisp.core.stream.session.StreamSessions;
import io.netty.channel.Channel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A port-forward over a channel protocol, the way the kubelet serves it: for the port at index i
 * of the request, channel 2i carries data both ways and channel 2i+1 carries error text from the
 * server. Right after the upgrade each of these channels gets one message holding the port number
 * as an unsigned 16-bit little-endian integer. Each port gets one connection into the pod for the
 * life of the WebSocket.
 *
 * <p>The protocol has no half-close: when the pod's side of a port's connection ends, nothing is
 * sent for that port and its client data is dropped from then on. As in the kubelet, the
 * WebSocket itself is closed (normal closure) once every port's connection has ended, whether it
 * ended normally or with an error message on its error channel.
 */
final class WebSocketForwardSession extends ChannelSession {
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketForwardSession.class);

    private final StreamSessions sessions;
    private final PortForwardTarget target;
    private final List<Integer> ports;
    private final PortConnection[] connections;
    private final AtomicInteger open;
    private final AtomicInteger pausedPorts = new AtomicInteger();

    WebSocketForwardSession(Channel channel, ChannelProtocol protocol, StreamSessions sessions,
            PortForwardTarget target, List<Integer> ports) {
        super(channel, protocol);
        this.sessions = sessions;
        this.target = target;
        this.ports = List.copyOf(ports);
        this.connections = new PortConnection[ports.size()];
        this.open = new AtomicInteger(ports.size());
    }

    @Override
    void start() {
        for (int i = 0; i < ports.size(); i++) {
            int port = ports.get(i);
            byte[] portBytes = {(byte) port, (byte) (port >>> 8)};
            sendNow(2 * i, portBytes);
            sendNow(2 * i + 1, portBytes);
            connections[i] = new PortConnection(i, port);
        }
        for (PortConnection connection : connections) {
            connection.start();
        }
    }

    @Override
    void received(int channelNumber, byte[] data) {
        int index = channelNumber / 2;
        if (channelNumber % 2 != 0 || index >= connections.length || data.length == 0) {
            return; // error channels are server-to-client only
        }
        PortConnection connection = connections[index];
        ForwardListener l = connection.listener;
        if (l != null && !connection.ended) {
            l.data(data);
        }
    }

    @Override
    void closeSignal(int channelNumber) {
        // Only remote command v5 has a close signal; port-forward protocols never get here.
    }

    @Override
    void gone() {
        for (PortConnection connection : connections) {
            if (connection != null && connection.listener != null) {
                connection.listener.clientGone();
            }
        }
    }

    /** The client side of one port: data on channel 2i, errors on channel 2i+1. */
    private final class PortConnection implements ForwardClient {
        private final int index;
        private final int port;
        private volatile ForwardListener listener;
        private volatile boolean ended;
        private boolean paused;

        PortConnection(int index, int port) {
            this.index = index;
            this.port = port;
        }

        void start() {
            try {
                listener = sessions.startForward(target, port, this);
            } catch (RuntimeException e) {
                if (!(e instanceof StreamFailure)) {
                    LOG.warn("Forwarding port {} of pod {} failed", port, target.sandboxId(), e);
                }
                fail(e.getMessage() != null ? e.getMessage() : e.toString());
            }
        }

        @Override
        public void write(byte[] data, int offset, int length) throws IOException {
            if (ended) {
                throw new IOException("the forwarded connection to port " + port + " has ended");
            }
            if (length > 0) {
                send(2 * index, data, offset, length);
            }
        }

        @Override
        public void closeData() {
            end();
        }

        @Override
        public synchronized void pauseInput(boolean paused) {
            if (this.paused == paused) {
                return;
            }
            this.paused = paused;
            readPaused(pausedPorts.addAndGet(paused ? 1 : -1) > 0);
        }

        @Override
        public void fail(String message) {
            if (!ended) {
                sendNow(2 * index + 1, message.getBytes(StandardCharsets.UTF_8));
            }
            end();
        }

        private void end() {
            synchronized (this) {
                if (ended) {
                    return;
                }
                ended = true;
            }
            pauseInput(false);
            if (open.decrementAndGet() == 0) {
                closeNormally();
            }
        }
    }
}
