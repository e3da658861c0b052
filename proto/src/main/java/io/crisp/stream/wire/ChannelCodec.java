package io.crisp.stream.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * How one message of a channel protocol looks on the wire. Binary: a binary message whose first
 * byte is the channel. Base64: a text message whose first character is {@code '0' + channel} and
 * whose rest is the payload in standard base64. Used by the server and by the client.
 */
public enum ChannelCodec {
    BINARY {
        @Override
        public WebSocketFrame encode(ByteBufAllocator alloc, int channel, byte[] data, int offset, int length) {
            ByteBuf buf = alloc.buffer(length + 1);
            buf.writeByte(channel);
            buf.writeBytes(data, offset, length);
            return new BinaryWebSocketFrame(buf);
        }

        @Override
        public ChannelMessage decode(ByteBuf content) {
            if (!content.isReadable()) {
                return null;
            }
            int channel = content.getUnsignedByte(content.readerIndex());
            byte[] data = ByteBufUtil.getBytes(content, content.readerIndex() + 1, content.readableBytes() - 1);
            return new ChannelMessage(channel, data);
        }
    },
    BASE64 {
        @Override
        public WebSocketFrame encode(ByteBufAllocator alloc, int channel, byte[] data, int offset, int length) {
            byte[] encoded = Base64.getEncoder().encode(java.util.Arrays.copyOfRange(data, offset, offset + length));
            ByteBuf buf = alloc.buffer(encoded.length + 1);
            buf.writeByte('0' + channel);
            buf.writeBytes(encoded);
            return new TextWebSocketFrame(buf);
        }

        @Override
        public ChannelMessage decode(ByteBuf content) {
            if (!content.isReadable()) {
                return null;
            }
            int channel = (content.getUnsignedByte(content.readerIndex()) - '0') & 0xff;
            String text = content.toString(content.readerIndex() + 1, content.readableBytes() - 1, StandardCharsets.US_ASCII);
            try {
                return new ChannelMessage(channel, Base64.getDecoder().decode(text.trim()));
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
    };

    /** A raw control message (the v5 close signal) is always binary; it has no base64 form. */
    public static WebSocketFrame closeSignal(int channel) {
        return new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {(byte) CLOSE_SIGNAL, (byte) channel}));
    }

    /** The first byte of a v5 close signal: {@code [255, channel]}. */
    public static final int CLOSE_SIGNAL = 255;

    public abstract WebSocketFrame encode(ByteBufAllocator alloc, int channel, byte[] data, int offset, int length);

    /** The channel and payload of a data message's content, or null if empty or malformed. */
    public abstract ChannelMessage decode(ByteBuf content);

    /** One decoded message: the channel number (0 to 255) and its payload. */
    public record ChannelMessage(int channel, byte[] data) {
    }
}
