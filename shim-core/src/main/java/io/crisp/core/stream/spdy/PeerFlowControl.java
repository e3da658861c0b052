package io.crisp.core.stream.spdy;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.spdy.DefaultSpdyWindowUpdateFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdySettingsFrame;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyWindowUpdateFrame;

/**
 * Sits between the frame codec and Netty's {@code SpdySessionHandler} and decides whether the peer
 * does SPDY/3.1 flow control. kubectl and crictl speak SPDY through moby/spdystream, which never
 * sends WINDOW_UPDATE (nor SETTINGS): honouring windows toward it would stall every stream after
 * the first 64 KiB. A peer that does flow control announces itself the way SPDY/3.1 peers do, with
 * SETTINGS or WINDOW_UPDATE before its first SYN_STREAM; crisp's own client does.
 *
 * <p>For a peer without flow control, every data frame the session handler sends is credited back
 * to its stream and session windows at once (as if the peer had acknowledged it), so the session
 * handler's send windows never run out; back pressure toward such a peer is TCP's, through the
 * blocking writes. For a peer with flow control nothing is touched.
 */
final class PeerFlowControl extends ChannelDuplexHandler {
    private enum Mode { UNDECIDED, PEER_CONTROLS, NO_CONTROL }

    private Mode mode = Mode.UNDECIDED;

    /** Whether the peer turned out to do flow control itself (for tests and logs). */
    boolean peerControlsFlow() {
        return mode == Mode.PEER_CONTROLS;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (mode == Mode.UNDECIDED) {
            if (msg instanceof SpdySettingsFrame || msg instanceof SpdyWindowUpdateFrame) {
                mode = Mode.PEER_CONTROLS;
            } else if (msg instanceof SpdySynStreamFrame) {
                mode = Mode.NO_CONTROL;
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        int credit = mode == Mode.NO_CONTROL && msg instanceof SpdyDataFrame data ? data.content().readableBytes() : 0;
        int streamId = credit > 0 ? ((SpdyDataFrame) msg).streamId() : 0;
        ctx.write(msg, promise);
        if (credit > 0) {
            ctx.fireChannelRead(new DefaultSpdyWindowUpdateFrame(streamId, credit));
            ctx.fireChannelRead(new DefaultSpdyWindowUpdateFrame(0, credit));
        }
    }
}
