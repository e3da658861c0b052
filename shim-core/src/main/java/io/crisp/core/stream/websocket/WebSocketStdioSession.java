package io.crisp.core.stream.websocket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.core.state.Json;
import io.crisp.core.stream.session.StatusJson;
import io.crisp.core.stream.session.StdioClient;
import io.crisp.core.stream.session.StdioListener;
import io.crisp.core.stream.session.StdioOutcome;
import io.crisp.core.stream.session.StdioTarget;
import io.crisp.core.stream.session.StreamFailure;
import io.crisp.core.stream.session.StreamSessions;
import io.crisp.spi.model.StdioWiring;
import io.netty.channel.Channel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An exec or attach over a channel protocol: channel 0 stdin, 1 stdout, 2 stderr, 3 error, 4
 * resize. Only the channels the target's {@link StdioWiring} asks for carry data: output for an
 * unwired stream is dropped and input on an unwired stdin ignored, as Kubernetes' ignore channels
 * do. Right after the upgrade one empty message goes to the lowest writable channel (stdout, else
 * stderr, else the error channel), as the kubelet sends it to tell the client the streams are up.
 *
 * <p>Stdin end of file exists only from v5 on ({@code [255, 0]}); with older versions stdin stays
 * open until the connection ends (Kubernetes' websocket server has no other signal either).
 * Resize messages are {@code {"Width":w,"Height":h}} JSON, accepted with every version (the
 * kubelet opens channel 4 for all of them); one message may hold several objects.
 */
final class WebSocketStdioSession extends ChannelSession implements StdioClient {
    static final int STDIN = 0;
    static final int STDOUT = 1;
    static final int STDERR = 2;
    static final int ERROR = 3;
    static final int RESIZE = 4;

    private static final Logger LOG = LoggerFactory.getLogger(WebSocketStdioSession.class);
    private static final ObjectMapper MAPPER = Json.MAPPER;

    private final StreamSessions sessions;
    private final StdioTarget target;
    private final AtomicBoolean finished = new AtomicBoolean();
    private volatile StdioListener listener;
    private boolean stdinClosed;

    WebSocketStdioSession(Channel channel, ChannelProtocol protocol, StreamSessions sessions, StdioTarget target) {
        super(channel, protocol);
        this.sessions = sessions;
        this.target = target;
    }

    @Override
    void start() {
        StdioWiring stdio = target.stdio();
        sendNow(stdio.stdout() ? STDOUT : stdio.stderr() ? STDERR : ERROR, new byte[0]);
        try {
            listener = sessions.startStdio(target, this);
        } catch (StreamFailure e) {
            finish(StdioOutcome.failed(e.getMessage()));
        } catch (RuntimeException e) {
            LOG.warn("Starting {} in container {} failed", target.kind(), target.containerId(), e);
            finish(StdioOutcome.failed(e.getMessage() != null ? e.getMessage() : e.toString()));
        }
    }

    @Override
    void received(int channelNumber, byte[] data) {
        StdioListener l = listener;
        if (l == null) {
            return;
        }
        if (channelNumber == STDIN) {
            if (target.stdio().stdin() && !stdinClosed && data.length > 0) {
                l.stdin(data);
            }
        } else if (channelNumber == RESIZE) {
            resize(l, data);
        }
        // Other channels are written by the server only; Kubernetes ignores client data on them.
    }

    @Override
    void closeSignal(int channelNumber) {
        StdioListener l = listener;
        if (channelNumber == STDIN && target.stdio().stdin() && !stdinClosed && l != null) {
            stdinClosed = true;
            l.stdinClosed();
        }
    }

    @Override
    void gone() {
        StdioListener l = listener;
        if (l != null) {
            l.clientGone();
        }
    }

    private static void resize(StdioListener l, byte[] data) {
        try (MappingIterator<JsonNode> sizes = MAPPER.readerFor(JsonNode.class).readValues(data)) {
            while (sizes.hasNextValue()) {
                JsonNode size = sizes.nextValue();
                if (size.isObject()) {
                    l.resize(size.path("Width").asInt(0), size.path("Height").asInt(0));
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("Ignoring a malformed resize message", e);
        }
    }

    @Override
    public void write(Output stream, byte[] data, int offset, int length) throws IOException {
        boolean wired = stream == Output.STDOUT ? target.stdio().stdout() : target.stdio().stderr();
        if (!wired || length == 0) {
            return;
        }
        send(stream == Output.STDOUT ? STDOUT : STDERR, data, offset, length);
    }

    @Override
    public void pauseInput(boolean paused) {
        readPaused(paused);
    }

    @Override
    public void finish(StdioOutcome outcome) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        if (protocol.reportsStatusJson()) {
            sendNow(ERROR, StatusJson.json(outcome).getBytes(StandardCharsets.UTF_8));
        } else if (!outcome.isSuccess()) {
            sendNow(ERROR, StatusJson.message(outcome).getBytes(StandardCharsets.UTF_8));
        }
        closeNormally();
    }
}

