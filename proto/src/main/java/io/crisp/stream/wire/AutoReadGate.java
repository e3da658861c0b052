package io.crisp.stream.wire;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;

/**
 * Makes {@code autoRead = false} stop reading on a SPDY pipeline. {@code SpdyFrameCodec} fires its
 * frames itself rather than through the decoder's output list, so {@code ByteToMessageDecoder}
 * believes each read decoded nothing and asks for another read whenever auto-read is off: a paused
 * connection keeps reading. Placed between the socket and the codec, this drops read requests
 * while auto-read is off; turning it back on reads again as usual. Back pressure (paused stdin,
 * paused port-forward input, a client's full input buffers) relies on it.
 */
@ChannelHandler.Sharable
public final class AutoReadGate extends ChannelOutboundHandlerAdapter {
    public static final AutoReadGate INSTANCE = new AutoReadGate();

    private AutoReadGate() {
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (ctx.channel().config().isAutoRead()) {
            ctx.read();
        }
    }
}
