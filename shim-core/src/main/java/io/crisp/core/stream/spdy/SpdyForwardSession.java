package io.crisp.core.stream.spdy;

import io.crisp.core.stream.session.ForwardClient;
import io.crisp.core.stream.session.ForwardListener;
import io.crisp.core.stream.session.PortForwardTarget;
import io.crisp.core.stream.session.StreamSessions;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A port-forward connection over SPDY: any number of forwarded connections, each a pair of streams
 * (error and data) with the same {@code requestID} header and the pod port in the {@code port}
 * header. client-go opens the error stream first and half-closes it at once, then the data stream;
 * it ends a connection by resetting the data stream and reading the error stream to its end, so the
 * error stream is always half-closed here when a pair ends.
 */
final class SpdyForwardSession extends SpdyStreamHandler {
    private static final Logger LOG = LoggerFactory.getLogger(SpdyForwardSession.class);

    private final StreamSessions sessions;
    private final PortForwardTarget target;
    private final Duration creationTimeout;
    private final Map<String, Pair> pairs = new HashMap<>();
    private final Map<Integer, Pair> byStream = new HashMap<>();

    SpdyForwardSession(StreamSessions sessions, PortForwardTarget target, Duration creationTimeout) {
        this.sessions = sessions;
        this.target = target;
        this.creationTimeout = creationTimeout;
    }

    @Override
    protected void onSynStream(SpdySynStreamFrame syn) {
        int id = syn.streamId();
        String type = header(syn, "streamtype");
        if (!"error".equals(type) && !"data".equals(type)) {
            LOG.debug("refusing port-forward stream {} of type {}", id, type);
            reset(id, SpdyStreamStatus.REFUSED_STREAM);
            return;
        }
        String requestId = header(syn, "requestid");
        if (requestId == null || requestId.isEmpty()) {
            // Clients before request IDs (Kubernetes 1.0) opened error and data streams back to
            // back, so their stream IDs are two apart; the kubelet pairs them the same way.
            requestId = Integer.toString("error".equals(type) ? id : id - 2);
        }
        Pair pair = pairs.get(requestId);
        if (pair == null) {
            pair = new Pair(requestId);
            pairs.put(requestId, pair);
            pair.timeout = ctx.executor().schedule(pair::timedOut, creationTimeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        boolean isError = "error".equals(type);
        if ((isError ? pair.errorStream : pair.dataStream) != 0 || pair.started) {
            reset(id, SpdyStreamStatus.PROTOCOL_ERROR);
            pair.fail("error processing stream for request " + requestId + ": " + type + " stream already assigned");
            return;
        }
        reply(id, type);
        byStream.put(id, pair);
        if (isError) {
            pair.errorStream = id;
        } else {
            pair.dataStream = id;
            pair.portHeader = header(syn, "port");
        }
        if (pair.errorStream != 0 && pair.dataStream != 0) {
            pair.start();
        }
    }

    @Override
    protected void onData(int streamId, byte[] data, boolean last) {
        Pair pair = byStream.get(streamId);
        if (pair == null || streamId != pair.dataStream || pair.listener == null || pair.ended) {
            return;
        }
        if (data.length > 0 && !pair.dataClosedByClient) {
            pair.listener.data(data);
        }
        if (last && !pair.dataClosedByClient) {
            pair.dataClosedByClient = true;
            pair.listener.dataClosed();
            pair.endIfDone();
        }
    }

    @Override
    protected void onReset(int streamId) {
        Pair pair = byStream.get(streamId);
        if (pair != null && !pair.ended) {
            pair.gone(streamId);
        }
    }

    @Override
    protected void onClosed() {
        for (Pair pair : new ArrayList<>(pairs.values())) {
            pair.gone(0);
        }
    }

    /** One forwarded connection. Its fields are used on the event loop only. */
    private final class Pair implements ForwardClient {
        final String requestId;
        int errorStream;
        int dataStream;
        String portHeader;
        ScheduledFuture<?> timeout;
        ForwardListener listener;
        boolean started;
        boolean dataClosedByClient;
        boolean dataClosedByPod;
        boolean ended;
        private volatile boolean inputPaused;

        Pair(String requestId) {
            this.requestId = requestId;
        }

        void start() {
            started = true;
            timeout.cancel(false);
            int port;
            try {
                port = parsePort(portHeader);
            } catch (IllegalArgumentException e) {
                failNow(e.getMessage());
                return;
            }
            try {
                listener = sessions.startForward(target, port, this);
            } catch (RuntimeException e) {
                LOG.debug("forwarding to port {} of {} did not start", port, target.sandboxId(), e);
                failNow(e.getMessage() == null ? e.toString() : e.getMessage());
            }
        }

        void timedOut() {
            if (!started && !ended) {
                failNow("(request=" + requestId + ") timed out waiting for streams");
            }
        }

        /** Both directions are half-closed: the forwarded connection is over. */
        void endIfDone() {
            if (dataClosedByClient && dataClosedByPod && !ended) {
                ended = true;
                fin(errorStream);
                forget();
            }
        }

        /** The client reset {@code resetStream} (0: the connection closed). */
        void gone(int resetStream) {
            boolean wasStarted = listener != null;
            if (!ended) {
                ended = true;
                if (errorStream != 0 && ctx.channel().isActive()) {
                    fin(errorStream);
                }
                if (dataStream != 0 && dataStream != resetStream && !finSent(dataStream) && ctx.channel().isActive()) {
                    reset(dataStream, SpdyStreamStatus.CANCEL);
                }
                forget();
            }
            if (wasStarted) {
                listener.clientGone();
                listener = null;
            }
        }

        /** Reports {@code message} on the error stream and resets the data stream (event loop). */
        void failNow(String message) {
            if (ended) {
                return;
            }
            ended = true;
            if (timeout != null) {
                timeout.cancel(false);
            }
            if (errorStream != 0) {
                writeText(errorStream, message);
                fin(errorStream);
            }
            if (dataStream != 0 && !finSent(dataStream)) {
                reset(dataStream, SpdyStreamStatus.CANCEL);
            }
            forget();
            if (listener != null) {
                listener.clientGone();
                listener = null;
            }
        }

        private void forget() {
            pairs.remove(requestId);
            byStream.remove(errorStream);
            byStream.remove(dataStream);
            if (inputPaused) {
                inputPaused = false;
                pauseReading(false);
            }
        }

        @Override
        public void write(byte[] data, int offset, int length) throws IOException {
            if (length > 0) {
                writeBlocking(dataStream, data, offset, length);
            }
        }

        @Override
        public void closeData() {
            ctx.executor().execute(() -> {
                if (!ended && !dataClosedByPod) {
                    dataClosedByPod = true;
                    fin(dataStream);
                    endIfDone();
                }
            });
        }

        @Override
        public void pauseInput(boolean paused) {
            ctx.executor().execute(() -> {
                if (!ended && paused != inputPaused) {
                    inputPaused = paused;
                    pauseReading(paused);
                }
            });
        }

        @Override
        public void fail(String message) {
            ctx.executor().execute(() -> failNow(message));
        }
    }

    /** The pod port of a data stream's {@code port} header, as the kubelet checks it. */
    static int parsePort(String header) {
        if (header == null || header.isEmpty()) {
            throw new IllegalArgumentException("\"port\" header is required");
        }
        int port;
        try {
            port = Integer.parseInt(header);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("unable to parse \"" + header + "\" as a port");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port \"" + header + "\" must be between 1 and 65535");
        }
        return port;
    }
}
