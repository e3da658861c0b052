package io.crisp.core.stream.spdy;

import io.crisp.core.stream.session.StatusJson;
import io.crisp.core.stream.session.StdioClient;
import io.crisp.core.stream.session.StdioListener;
import io.crisp.core.stream.session.StdioOutcome;
import io.crisp.core.stream.session.StdioTarget;
import io.crisp.core.stream.session.StreamSessions;
import io.crisp.spi.model.StdioWiring;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One exec or attach over SPDY: the client opens one stream per {@code streamType} (error, then
 * stdin, stdout, stderr and, with a terminal from v3 on, resize). Once all the streams the target's
 * wiring calls for are there, the session starts; until then, at most the creation timeout.
 */
final class SpdyStdioSession extends SpdyStreamHandler implements StdioClient {
    enum Kind {
        ERROR("error"), STDIN("stdin"), STDOUT("stdout"), STDERR("stderr"), RESIZE("resize");

        final String header;

        Kind(String header) {
            this.header = header;
        }

        static Kind of(String header) {
            for (Kind kind : values()) {
                if (kind.header.equals(header)) {
                    return kind;
                }
            }
            return null;
        }
    }

    static final String TIMEOUT_MESSAGE = "timed out waiting for client to create streams";

    private static final Logger LOG = LoggerFactory.getLogger(SpdyStdioSession.class);

    private final StreamSessions sessions;
    private final StdioTarget target;
    private final String protocol;
    private final Duration creationTimeout;
    private final Set<Kind> expected;
    private final Map<Kind, Integer> streams = new EnumMap<>(Kind.class);
    private final AtomicBoolean finished = new AtomicBoolean();
    private final ResizeDecoder resizes = new ResizeDecoder();
    private ScheduledFuture<?> timeout;
    private StdioListener listener;
    private boolean stdinClosed;
    private boolean resizeBroken;
    private boolean gone;
    private volatile boolean inputPaused;

    SpdyStdioSession(StreamSessions sessions, StdioTarget target, String protocol, Duration creationTimeout) {
        this.sessions = sessions;
        this.target = target;
        this.protocol = protocol;
        this.creationTimeout = creationTimeout;
        this.expected = expectedStreams(target.stdio(), protocol);
    }

    /** The streams a client of {@code protocol} opens for {@code stdio}. */
    static Set<Kind> expectedStreams(StdioWiring stdio, String protocol) {
        Set<Kind> kinds = EnumSet.of(Kind.ERROR);
        if (stdio.stdin()) {
            kinds.add(Kind.STDIN);
        }
        if (stdio.stdout()) {
            kinds.add(Kind.STDOUT);
        }
        if (stdio.stderr() && !stdio.tty()) {
            kinds.add(Kind.STDERR);
        }
        if (stdio.tty() && ProtocolVersions.resizes(protocol)) {
            kinds.add(Kind.RESIZE);
        }
        return kinds;
    }

    @Override
    public void handlerAdded(io.netty.channel.ChannelHandlerContext ctx) {
        super.handlerAdded(ctx);
        timeout = ctx.executor().schedule(this::timedOut, creationTimeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    protected void onSynStream(SpdySynStreamFrame syn) {
        int id = syn.streamId();
        Kind kind = Kind.of(header(syn, "streamtype"));
        if (kind == null || streams.containsKey(kind) || listener != null || closing()) {
            LOG.debug("refusing stream {} of type {} on {}", id, header(syn, "streamtype"), ctx.channel());
            reset(id, SpdyStreamStatus.REFUSED_STREAM);
            return;
        }
        reply(id, kind.header);
        streams.put(kind, id);
        if (streams.keySet().containsAll(expected)) {
            start();
        }
    }

    private void start() {
        timeout.cancel(false);
        if (ProtocolVersions.V1.equals(protocol) && streams.containsKey(Kind.STDIN)) {
            // The first protocol's server closed its side of stdin at once; v1 clients expect it.
            fin(streams.get(Kind.STDIN));
        }
        try {
            listener = sessions.startStdio(target, this);
        } catch (RuntimeException e) {
            LOG.debug("{} of {} did not start", target.kind(), target.containerId(), e);
            finish(StdioOutcome.failed(e.getMessage() == null ? e.toString() : e.getMessage()));
        }
    }

    private void timedOut() {
        if (listener != null || closing()) {
            return;
        }
        LOG.debug("{} on {}: {}", target.kind(), ctx.channel(), TIMEOUT_MESSAGE);
        finished.set(true);
        end(StdioOutcome.failed(TIMEOUT_MESSAGE));
    }

    @Override
    protected void onData(int streamId, byte[] data, boolean last) {
        if (listener == null || gone) {
            return;
        }
        if (Integer.valueOf(streamId).equals(streams.get(Kind.STDIN))) {
            if (data.length > 0 && !stdinClosed) {
                listener.stdin(data);
            }
            if (last) {
                closeStdin();
            }
        } else if (Integer.valueOf(streamId).equals(streams.get(Kind.RESIZE)) && !resizeBroken) {
            try {
                for (ResizeDecoder.Size size : resizes.feed(data)) {
                    listener.resize(size.width(), size.height());
                }
            } catch (IOException e) {
                LOG.debug("ignoring the rest of the resize stream on {}: {}", ctx.channel(), e.toString());
                resizeBroken = true;
            }
        }
    }

    private void closeStdin() {
        if (!stdinClosed) {
            stdinClosed = true;
            listener.stdinClosed();
        }
    }

    @Override
    protected void onReset(int streamId) {
        if (Integer.valueOf(streamId).equals(streams.get(Kind.STDIN))) {
            if (listener != null) {
                closeStdin();
            }
        } else if (streams.containsValue(streamId) && !closing()) {
            clientGone();
            forceClose();
        }
    }

    @Override
    protected void onGoAway() {
        if (!closing()) {
            clientGone();
            forceClose();
        }
    }

    @Override
    protected void onClosed() {
        if (timeout != null) {
            timeout.cancel(false);
        }
        clientGone();
    }

    private void clientGone() {
        if (!gone) {
            gone = true;
            if (listener != null) {
                listener.clientGone();
            }
        }
    }

    @Override
    public void write(Output stream, byte[] data, int offset, int length) throws IOException {
        Integer id = streams.get(stream == Output.STDOUT ? Kind.STDOUT : Kind.STDERR);
        if (id == null) {
            throw new IOException("the client did not ask for " + stream.name().toLowerCase());
        }
        if (length > 0) {
            writeBlocking(id, data, offset, length);
        }
    }

    @Override
    public void pauseInput(boolean paused) {
        synchronized (this) {
            if (paused == inputPaused) {
                return;
            }
            inputPaused = paused;
        }
        pauseReading(paused);
    }

    @Override
    public void finish(StdioOutcome outcome) {
        if (finished.compareAndSet(false, true)) {
            ctx.executor().execute(() -> end(outcome));
        }
    }

    /** Reports the outcome, half-closes every stream toward the client, and ends the connection. */
    private void end(StdioOutcome outcome) {
        if (closing() || !ctx.channel().isActive()) {
            return;
        }
        List<ChannelFuture> pending = new ArrayList<>();
        Integer error = streams.get(Kind.ERROR);
        if (error != null) {
            String text = ProtocolVersions.statusAsJson(protocol) ? StatusJson.json(outcome)
                    : outcome.isSuccess() ? "" : StatusJson.message(outcome);
            if (!text.isEmpty()) {
                pending.add(writeText(error, text));
            }
        }
        for (Integer id : streams.values()) {
            pending.add(fin(id));
        }
        closeAfter(pending);
    }
}
