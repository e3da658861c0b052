package io.crisp.ttrpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.StringValue;
import io.crisp.ttrpc.proto.Request;
import io.crisp.ttrpc.proto.Response;
import io.crisp.ttrpc.proto.Status;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client against a scripted peer on a real Unix socket: the test decides what the "server" sends. */
class TtrpcClientTest {
    @TempDir
    Path dir;

    private ServerSocketChannel listener;
    private SocketChannel peer;
    private TtrpcClient client;

    @AfterEach
    void tearDown() throws IOException {
        if (client != null) {
            client.close();
        }
        if (peer != null) {
            peer.close();
        }
        if (listener != null) {
            listener.close();
        }
    }

    @Test
    void answersCallsOutOfOrderOnTheirOwnStreams() throws Exception {
        connect();
        CompletableFuture<byte[]> first = client.callAsync("svc", "A", new byte[] {1}, Duration.ZERO);
        CompletableFuture<byte[]> second = client.callAsync("svc", "B", new byte[] {2}, Duration.ZERO);
        List<Frame> requests = readFrames(2);
        assertEquals(1, requests.get(0).streamId());
        assertEquals(3, requests.get(1).streamId());
        Request a = Request.parseFrom(requests.get(0).data());
        assertEquals("svc", a.getService());
        assertEquals("A", a.getMethod());
        assertEquals(0, a.getTimeoutNano());
        // Answer the second call first.
        send(3, ok(new byte[] {20}));
        assertArrayEquals(new byte[] {20}, second.get(5, TimeUnit.SECONDS));
        assertTrue(!first.isDone());
        send(1, ok(new byte[] {10}));
        assertArrayEquals(new byte[] {10}, first.get(5, TimeUnit.SECONDS));
    }

    /**
     * Bytes recorded from Debian's containerd-shim-runc-v2 1.6.20 on this project's machines: its
     * answer on stream 1 to containerd.task.v2.Task/State for an id it does not know.
     */
    private static final String RECORDED_SHIM_NOT_FOUND =
            "000000260000000102000a2408051220636f6e7461696e6572206e6f7420637265617465643a206e6f7420666f756e64";

    @Test
    void readsARecordedShimErrorAnswer() throws Exception {
        connect();
        CompletableFuture<byte[]> call = client.callAsync("containerd.task.v2.Task", "State",
                new byte[] {0x0a, 0x04, 'n', 'o', 'p', 'e'}, Duration.ZERO);
        Frame request = readFrames(1).get(0);
        assertEquals(1, request.streamId());
        // The request as the shim received it in the recording (no deadline, so no timeout_nano).
        assertEquals("0a17636f6e7461696e6572642e7461736b2e76322e5461736b120553746174651a060a046e6f7065",
                java.util.HexFormat.of().formatHex(request.data()));
        UnixSockets.writeFully(peer, ByteBuffer.wrap(java.util.HexFormat.of().parseHex(RECORDED_SHIM_NOT_FOUND)));
        ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(5, TimeUnit.SECONDS));
        TtrpcException t = (TtrpcException) e.getCause();
        assertEquals(Code.NOT_FOUND, t.code());
        assertEquals("container not created: not found", t.detail());
    }

    @Test
    void mapsTheResponseStatusToAnException() throws Exception {
        connect();
        CompletableFuture<byte[]> call = client.callAsync("containerd.task.v2.Task", "State", new byte[0], Duration.ZERO);
        readFrames(1);
        send(1, Response.newBuilder().setStatus(Status.newBuilder().setCode(5).setMessage("container c1: not found")).build());
        ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(5, TimeUnit.SECONDS));
        TtrpcException t = (TtrpcException) e.getCause();
        assertEquals(Code.NOT_FOUND, t.code());
        assertEquals("container c1: not found", t.detail());
    }

    @Test
    void typedCallParsesTheResponse() throws Exception {
        connect();
        CompletableFuture<StringValue> call = CompletableFuture.supplyAsync(() -> client.call("svc", "Echo",
                StringValue.of("hi"), StringValue.parser(), Duration.ofSeconds(5)));
        Frame request = readFrames(1).get(0);
        Request parsed = Request.parseFrom(request.data());
        assertEquals("hi", StringValue.parseFrom(parsed.getPayload()).getValue());
        assertEquals(Duration.ofSeconds(5).toNanos(), parsed.getTimeoutNano());
        send(request.streamId(), ok(StringValue.of("hi back").toByteArray()));
        assertEquals("hi back", call.get(5, TimeUnit.SECONDS).getValue());
    }

    @Test
    void givesUpAtTheDeadlineAndIgnoresTheLateAnswer() throws Exception {
        connect();
        long start = System.nanoTime();
        TtrpcException e = assertThrows(TtrpcException.class,
                () -> client.call("svc", "Slow", StringValue.of(""), StringValue.parser(), Duration.ofMillis(200)));
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(Code.DEADLINE_EXCEEDED, e.code());
        assertTrue(elapsedMs >= 190 && elapsedMs < 3000, "gave up after " + elapsedMs + " ms");
        Frame request = readFrames(1).get(0);
        send(request.streamId(), ok(new byte[0]));
        // The connection still works afterwards, and the late answer was counted, not delivered.
        CompletableFuture<byte[]> next = client.callAsync("svc", "Next", new byte[0], Duration.ZERO);
        Frame nextRequest = readFrames(1).get(0);
        send(nextRequest.streamId(), ok(new byte[] {7}));
        assertArrayEquals(new byte[] {7}, next.get(5, TimeUnit.SECONDS));
        assertEquals(1, client.unknownStreamFrames());
    }

    @Test
    void ignoresAnswersForUnknownStreams() throws Exception {
        connect();
        send(99, ok(new byte[] {1}));
        CompletableFuture<byte[]> call = client.callAsync("svc", "M", new byte[0], Duration.ZERO);
        send(readFrames(1).get(0).streamId(), ok(new byte[] {2}));
        assertArrayEquals(new byte[] {2}, call.get(5, TimeUnit.SECONDS));
        assertEquals(1, client.unknownStreamFrames());
    }

    @Test
    void failsPendingCallsWhenTheServerGoesAway() throws Exception {
        connect();
        CompletableFuture<byte[]> call = client.callAsync("containerd.task.v2.Task", "Wait", new byte[0], Duration.ZERO);
        readFrames(1);
        peer.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(5, TimeUnit.SECONDS));
        assertEquals(Code.UNAVAILABLE, ((TtrpcException) e.getCause()).code());
        client.onClose().get(5, TimeUnit.SECONDS);
        TtrpcException after = assertThrows(TtrpcException.class,
                () -> client.call("svc", "M", StringValue.of(""), StringValue.parser(), Duration.ZERO));
        assertEquals(Code.UNAVAILABLE, after.code());
    }

    @Test
    void anOversizedAnswerFailsItsCallButNotTheConnection() throws Exception {
        connect();
        CompletableFuture<byte[]> big = client.callAsync("svc", "Big", new byte[0], Duration.ZERO);
        int stream = readFrames(1).get(0).streamId();
        int length = Frame.MAX_DATA + 100;
        ByteBuffer frame = ByteBuffer.allocate(Frame.HEADER_SIZE + length);
        frame.putInt(length).putInt(stream).put(Frame.RESPONSE).put((byte) 0).position(frame.capacity()).flip();
        UnixSockets.writeFully(peer, frame);
        ExecutionException e = assertThrows(ExecutionException.class, () -> big.get(10, TimeUnit.SECONDS));
        assertEquals(Code.RESOURCE_EXHAUSTED, ((TtrpcException) e.getCause()).code());
        CompletableFuture<byte[]> next = client.callAsync("svc", "Small", new byte[0], Duration.ZERO);
        send(readFrames(1).get(0).streamId(), ok(new byte[] {3}));
        assertArrayEquals(new byte[] {3}, next.get(5, TimeUnit.SECONDS));
    }

    @Test
    void refusesToSendAnOversizedRequest() throws Exception {
        connect();
        CompletableFuture<byte[]> call = client.callAsync("svc", "Huge", new byte[Frame.MAX_DATA], Duration.ZERO);
        ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(5, TimeUnit.SECONDS));
        assertEquals(Code.RESOURCE_EXHAUSTED, ((TtrpcException) e.getCause()).code());
        assertTrue(client.isOpen());
    }

    @Test
    void talksToTheServerOfThisLibrary() throws Exception {
        Path socket = dir.resolve("srv.sock");
        try (TtrpcServer server = TtrpcServer.start(socket, Map.of(
                "echo.v1.Echo/Say", payload -> StringValue.of("you said " + StringValue.parseFrom(payload).getValue()).toByteArray(),
                "echo.v1.Echo/Fail", payload -> {
                    throw new TtrpcException(Code.FAILED_PRECONDITION, "not now");
                }));
             TtrpcClient c = TtrpcClient.connect("unix://" + socket)) {
            List<CompletableFuture<StringValue>> calls = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String word = "w" + i;
                calls.add(CompletableFuture.supplyAsync(() -> c.call("echo.v1.Echo", "Say", StringValue.of(word),
                        StringValue.parser(), Duration.ofSeconds(5))));
            }
            for (int i = 0; i < 50; i++) {
                assertEquals("you said w" + i, calls.get(i).get(10, TimeUnit.SECONDS).getValue());
            }
            TtrpcException fail = assertThrows(TtrpcException.class,
                    () -> c.call("echo.v1.Echo", "Fail", StringValue.of(""), StringValue.parser(), Duration.ofSeconds(5)));
            assertEquals(Code.FAILED_PRECONDITION, fail.code());
            assertEquals("not now", fail.detail());
            TtrpcException missing = assertThrows(TtrpcException.class,
                    () -> c.call("echo.v1.Echo", "Nope", StringValue.of(""), StringValue.parser(), Duration.ofSeconds(5)));
            assertEquals(Code.UNIMPLEMENTED, missing.code());
            assertTrue(missing.detail().contains("echo.v1.Echo/Nope"));
        }
    }

    @Test
    void aCallbackMayCallAgainOnTheSameConnection() throws Exception {
        Path socket = dir.resolve("nested.sock");
        try (TtrpcServer server = TtrpcServer.start(socket, Map.of("svc/Echo", payload -> payload));
             TtrpcClient c = TtrpcClient.connect(socket)) {
            CompletableFuture<StringValue> nested = c.callAsync("svc", "Echo", StringValue.of("first").toByteArray(), Duration.ZERO)
                    .thenApply(first -> c.call("svc", "Echo", StringValue.of("second"), StringValue.parser(), Duration.ofSeconds(5)));
            assertEquals("second", nested.get(5, TimeUnit.SECONDS).getValue());
        }
    }

    @Test
    void closingAServerLeavesTheSocketOfANewerOneAtTheSamePath() throws Exception {
        Path socket = dir.resolve("events.sock");
        TtrpcServer older = TtrpcServer.start(socket, Map.of("svc/Echo", payload -> payload));
        try (TtrpcServer newer = TtrpcServer.start(socket, Map.of("svc/Echo", payload -> payload))) {
            older.close();
            try (TtrpcClient c = TtrpcClient.connect(socket)) {
                assertEquals("still here", c.call("svc", "Echo", StringValue.of("still here"), StringValue.parser(),
                        Duration.ofSeconds(5)).getValue());
            }
        }
        assertTrue(!java.nio.file.Files.exists(socket), "the newer server removed its own socket");
    }

    @Test
    void refusesAddressesThatAreNotUnixSockets() {
        assertEquals(Path.of("/run/containerd/s/abc"), UnixSockets.path("unix:///run/containerd/s/abc\n"));
        assertEquals(Code.INVALID_ARGUMENT, assertThrows(TtrpcException.class, () -> UnixSockets.path("vsock://3:1024")).code());
        assertEquals(Code.INVALID_ARGUMENT, assertThrows(TtrpcException.class, () -> UnixSockets.path("relative.sock")).code());
    }

    private void connect() throws IOException {
        Path socket = dir.resolve("peer.sock");
        listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(socket));
        client = TtrpcClient.connect(socket);
        peer = listener.accept();
    }

    private List<Frame> readFrames(int count) throws IOException {
        List<Frame> out = new ArrayList<>();
        FrameCodec codec = new FrameCodec();
        ByteBuffer buffer = ByteBuffer.allocate(1);
        FrameCodec.Sink sink = new FrameCodec.Sink() {
            @Override
            public void frame(Frame frame) {
                out.add(frame);
            }

            @Override
            public void oversized(int streamId, byte type, long length) {
                throw new AssertionError("oversized frame from the client");
            }
        };
        // One byte at a time, so no byte of a later frame is consumed here.
        while (out.size() < count) {
            buffer.clear();
            if (peer.read(buffer) < 0) {
                throw new IOException("client closed");
            }
            codec.decode(buffer.flip(), sink);
        }
        return out;
    }

    private void send(int stream, Response response) throws IOException {
        UnixSockets.writeFully(peer, FrameCodec.encode(new Frame(stream, Frame.RESPONSE, (byte) 0, response.toByteArray())));
    }

    private static Response ok(byte[] payload) {
        return Response.newBuilder().setPayload(ByteString.copyFrom(payload)).build();
    }
}
