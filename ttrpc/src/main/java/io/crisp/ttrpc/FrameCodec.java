package io.crisp.ttrpc;

import java.nio.ByteBuffer;

/**
 * Encodes frames and decodes a byte stream into frames. A decoder keeps the state of one connection:
 * feed it whatever the socket returned, split anywhere, and it hands out whole frames. A frame whose
 * header announces more than {@link Frame#MAX_DATA} bytes is not buffered: its data is skipped as it
 * arrives and the sink hears {@link Sink#oversized} once, so the connection stays usable, as the
 * protocol asks ("any larger size should be rejected").
 */
public final class FrameCodec {
    /** Receives what a decoder finds. */
    public interface Sink {
        void frame(Frame frame);

        void oversized(int streamId, byte type, long length);
    }

    private final ByteBuffer header = ByteBuffer.allocate(Frame.HEADER_SIZE);
    private int streamId;
    private byte type;
    private byte flags;
    private byte[] data;
    private int filled;
    private long skipRemaining;
    private boolean inBody;

    /** The frame as it goes on the wire. */
    public static ByteBuffer encode(Frame frame) {
        ByteBuffer out = ByteBuffer.allocate(Frame.HEADER_SIZE + frame.data().length);
        out.putInt(frame.data().length).putInt(frame.streamId()).put(frame.type()).put(frame.flags()).put(frame.data());
        return out.flip();
    }

    /** Consumes all of {@code in}, reporting every frame it completes to {@code sink}. */
    public void decode(ByteBuffer in, Sink sink) {
        while (in.hasRemaining()) {
            if (!inBody) {
                readHeader(in, sink);
            } else if (skipRemaining > 0) {
                int n = (int) Math.min(skipRemaining, in.remaining());
                in.position(in.position() + n);
                skipRemaining -= n;
                if (skipRemaining == 0) {
                    inBody = false;
                }
            } else {
                int n = Math.min(data.length - filled, in.remaining());
                in.get(data, filled, n);
                filled += n;
                if (filled == data.length) {
                    finish(sink);
                }
            }
        }
    }

    /** Whether a frame has been started but not completed: the stream ended in the middle of one. */
    public boolean hasPartialFrame() {
        return inBody || header.position() > 0;
    }

    private void readHeader(ByteBuffer in, Sink sink) {
        while (header.hasRemaining() && in.hasRemaining()) {
            header.put(in.get());
        }
        if (header.hasRemaining()) {
            return;
        }
        header.flip();
        long length = Integer.toUnsignedLong(header.getInt());
        streamId = header.getInt();
        type = header.get();
        flags = header.get();
        header.clear();
        if (length > Frame.MAX_DATA) {
            sink.oversized(streamId, type, length);
            skipRemaining = length;
            inBody = true;
            return;
        }
        data = new byte[(int) length];
        filled = 0;
        inBody = true;
        if (length == 0) {
            finish(sink);
        }
    }

    private void finish(Sink sink) {
        Frame frame = new Frame(streamId, type, flags, data);
        inBody = false;
        data = null;
        sink.frame(frame);
    }
}
