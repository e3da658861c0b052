package io.crisp.ttrpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.crisp.ttrpc.proto.Request;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameCodecTest {
    /** Request{service="s", method="m", payload=[0x08,0x01]} on stream 1, derived by hand from the spec. */
    private static final byte[] REQUEST_FRAME = {
        0x00, 0x00, 0x00, 0x0a, // data length 10
        0x00, 0x00, 0x00, 0x01, // stream 1
        0x01,                   // type Request
        0x00,                   // flags
        0x0a, 0x01, 's', 0x12, 0x01, 'm', 0x1a, 0x02, 0x08, 0x01,
    };

    /** A Response with status {code=5, message="gone"} on stream 3. */
    private static final byte[] ERROR_RESPONSE_FRAME = {
        0x00, 0x00, 0x00, 0x0a,
        0x00, 0x00, 0x00, 0x03,
        0x02,
        0x00,
        0x0a, 0x08, 0x08, 0x05, 0x12, 0x04, 'g', 'o', 'n', 'e',
    };

    private final List<Frame> frames = new ArrayList<>();
    private final List<String> oversized = new ArrayList<>();
    private final FrameCodec.Sink sink = new FrameCodec.Sink() {
        @Override
        public void frame(Frame frame) {
            frames.add(frame);
        }

        @Override
        public void oversized(int streamId, byte type, long length) {
            oversized.add(streamId + ":" + type + ":" + length);
        }
    };

    @Test
    void encodesARequestExactlyAsTheProtocolLaysItOut() {
        byte[] data = Request.newBuilder().setService("s").setMethod("m")
                .setPayload(ByteString.copyFrom(new byte[] {0x08, 0x01})).build().toByteArray();
        ByteBuffer encoded = FrameCodec.encode(new Frame(1, Frame.REQUEST, (byte) 0, data));
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        assertArrayEquals(REQUEST_FRAME, bytes);
    }

    @Test
    void decodesRecordedFrames() throws Exception {
        new FrameCodec().decode(ByteBuffer.wrap(concat(REQUEST_FRAME, ERROR_RESPONSE_FRAME)), sink);
        assertEquals(2, frames.size());
        Request request = Request.parseFrom(frames.get(0).data());
        assertEquals("s", request.getService());
        assertEquals("m", request.getMethod());
        Frame response = frames.get(1);
        assertEquals(3, response.streamId());
        assertEquals(Frame.RESPONSE, response.type());
        io.crisp.ttrpc.proto.Response parsed = io.crisp.ttrpc.proto.Response.parseFrom(response.data());
        assertEquals(5, parsed.getStatus().getCode());
        assertEquals("gone", parsed.getStatus().getMessage());
    }

    @Test
    void reassemblesFramesSplitAtEveryByte() {
        byte[] stream = concat(REQUEST_FRAME, ERROR_RESPONSE_FRAME);
        for (int cut = 0; cut <= stream.length; cut++) {
            frames.clear();
            FrameCodec codec = new FrameCodec();
            codec.decode(ByteBuffer.wrap(stream, 0, cut), sink);
            int expected = cut == stream.length ? 2 : cut >= REQUEST_FRAME.length ? 1 : 0;
            assertEquals(expected, frames.size(), "frames complete after " + cut + " bytes");
            codec.decode(ByteBuffer.wrap(stream, cut, stream.length - cut), sink);
            assertEquals(2, frames.size(), "cut at " + cut);
            assertArrayEquals(frames.get(0).data(), java.util.Arrays.copyOfRange(REQUEST_FRAME, 10, REQUEST_FRAME.length));
            assertFalse(codec.hasPartialFrame());
        }
    }

    @Test
    void decodesOneByteAtATime() {
        FrameCodec codec = new FrameCodec();
        for (byte b : concat(REQUEST_FRAME, ERROR_RESPONSE_FRAME)) {
            codec.decode(ByteBuffer.wrap(new byte[] {b}), sink);
        }
        assertEquals(2, frames.size());
        assertEquals(1, frames.get(0).streamId());
        assertEquals(3, frames.get(1).streamId());
    }

    @Test
    void skipsAnOversizedFrameAndKeepsDecodingTheNextOne() {
        int length = Frame.MAX_DATA + 1;
        ByteBuffer big = ByteBuffer.allocate(Frame.HEADER_SIZE + length);
        big.putInt(length).putInt(7).put(Frame.RESPONSE).put((byte) 0).position(big.capacity()).flip();
        FrameCodec codec = new FrameCodec();
        // Arrives in chunks, as from a socket.
        byte[] all = new byte[big.remaining()];
        big.get(all);
        byte[] stream = concat(all, ERROR_RESPONSE_FRAME);
        for (int off = 0; off < stream.length; off += 65536) {
            codec.decode(ByteBuffer.wrap(stream, off, Math.min(65536, stream.length - off)), sink);
        }
        assertEquals(List.of("7:2:" + length), oversized);
        assertEquals(1, frames.size());
        assertEquals(3, frames.get(0).streamId());
    }

    @Test
    void zeroLengthFrameIsAFrame() {
        new FrameCodec().decode(ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 0, 0, 0, 9, 2, 0}), sink);
        assertEquals(1, frames.size());
        assertEquals(0, frames.get(0).data().length);
        assertEquals(9, frames.get(0).streamId());
    }

    @Test
    void streamIdsAboveTwoToTheThirtyOneStayUnsigned() {
        new FrameCodec().decode(ByteBuffer.wrap(new byte[] {0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xfd, 2, 0}), sink);
        assertEquals("4294967293", Integer.toUnsignedString(frames.get(0).streamId()));
    }

    @Test
    void refusesToBuildAFrameOverTheLimit() {
        TtrpcException e = assertThrows(TtrpcException.class,
                () -> new Frame(1, Frame.REQUEST, (byte) 0, new byte[Frame.MAX_DATA + 1]));
        assertEquals(Code.RESOURCE_EXHAUSTED, e.code());
        assertTrue(e.getMessage().contains("4194304"));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
