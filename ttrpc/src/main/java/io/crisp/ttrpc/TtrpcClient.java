package io.crisp.ttrpc;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.crisp.ttrpc.proto.Request;
import io.crisp.ttrpc.proto.Response;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A ttrpc client on one Unix socket connection. Unary calls from any number of threads share the
 * connection, each on its own odd stream id; one reader thread completes them as responses arrive,
 * in whatever order the server answers. A call with a timeout sends it to the server
 * ({@code timeout_nano}) and also gives up locally with DEADLINE_EXCEEDED when it expires; a call
 * without one (a zero duration) waits as long as the connection lives, as {@code Wait} must.
 *
 * <p>Futures complete on a shared pool of callback threads, never on the reader thread, so code
 * that runs when a call completes may itself make calls on the same connection (a reader thread
 * blocked in such a call could never read its answer).
 *
 * <p>Errors are {@link TtrpcException}s: the server's status, UNAVAILABLE once the connection is
 * gone, RESOURCE_EXHAUSTED for a message over 4 MiB either way.
 */
public final class TtrpcClient implements AutoCloseable {
    private static final ScheduledExecutorService TIMERS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ttrpc-deadlines");
        t.setDaemon(true);
        return t;
    });

    private static final ExecutorService CALLBACKS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "ttrpc-callback");
        t.setDaemon(true);
        return t;
    });

    private final SocketChannel channel;
    private final String name;
    private final Object writeLock = new Object();
    private final ConcurrentHashMap<Integer, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger nextStream = new AtomicInteger(1);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();
    private final AtomicLong unknownStreamFrames = new AtomicLong();
    private volatile String closeReason = "connection closed";

    private TtrpcClient(SocketChannel channel, String name) {
        this.channel = channel;
        this.name = name;
        Thread reader = new Thread(this::readLoop, "ttrpc-read " + name);
        reader.setDaemon(true);
        reader.start();
    }

    /** Connects to {@code unix:///path} or {@code /path}. */
    public static TtrpcClient connect(String address) throws IOException {
        return connect(UnixSockets.path(address));
    }

    public static TtrpcClient connect(Path socket) throws IOException {
        return new TtrpcClient(UnixSockets.connect(socket), socket.toString());
    }

    /** For tests and callers that opened the channel themselves; the client owns it from now on. */
    public static TtrpcClient over(SocketChannel channel, String name) {
        return new TtrpcClient(requireNonNull(channel, "channel is null"), requireNonNull(name, "name is null"));
    }

    /**
     * Calls {@code service/method} and waits for the answer.
     *
     * @param timeout zero for no deadline
     * @throws TtrpcException the server's error status, DEADLINE_EXCEEDED, UNAVAILABLE, CANCELLED
     *     when the calling thread is interrupted, INTERNAL for an answer that does not parse
     */
    public <T> T call(String service, String method, MessageLite request, Parser<T> responseParser, Duration timeout) {
        CompletableFuture<byte[]> future = callAsync(service, method, request.toByteArray(), timeout);
        byte[] payload;
        try {
            payload = future.get();
        } catch (InterruptedException e) {
            future.cancel(false);
            Thread.currentThread().interrupt();
            throw new TtrpcException(Code.CANCELLED, service + "/" + method + ": interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TtrpcException t) {
                throw new TtrpcException(t.code(), t.detail(), t);
            }
            throw new TtrpcException(Code.INTERNAL, service + "/" + method + ": " + e.getCause(), e.getCause());
        } catch (CancellationException e) {
            throw new TtrpcException(Code.CANCELLED, service + "/" + method + ": cancelled", e);
        }
        try {
            return responseParser.parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            throw new TtrpcException(Code.INTERNAL, service + "/" + method + ": unreadable response: " + e.getMessage(), e);
        }
    }

    /**
     * Sends a unary request; the future completes with the response payload or a
     * {@link TtrpcException}. Cancelling the future forgets the call (the server is not told).
     */
    public CompletableFuture<byte[]> callAsync(String service, String method, byte[] payload, Duration timeout) {
        requireNonNull(service, "service is null");
        requireNonNull(method, "method is null");
        requireNonNull(payload, "payload is null");
        requireNonNull(timeout, "timeout is null");
        CompletableFuture<byte[]> future = new CompletableFuture<>();
        if (closed.get()) {
            future.completeExceptionally(unavailable());
            return future;
        }
        Request.Builder request = Request.newBuilder().setService(service).setMethod(method)
                .setPayload(ByteString.copyFrom(payload));
        if (!timeout.isZero()) {
            request.setTimeoutNano(timeout.toNanos());
        }
        byte[] data = request.build().toByteArray();
        if (data.length > Frame.MAX_DATA) {
            future.completeExceptionally(new TtrpcException(Code.RESOURCE_EXHAUSTED,
                    service + "/" + method + ": request of " + data.length + " bytes exceeds the ttrpc limit of " + Frame.MAX_DATA));
            return future;
        }
        int stream = nextStream.getAndAdd(2);
        pending.put(stream, future);
        future.whenComplete((r, e) -> pending.remove(stream, future));
        if (!timeout.isZero()) {
            ScheduledFuture<?> timer = TIMERS.schedule(() -> fail(future, new TtrpcException(
                    Code.DEADLINE_EXCEEDED, service + "/" + method + ": no answer within " + timeout)),
                    timeout.toNanos(), TimeUnit.NANOSECONDS);
            future.whenComplete((r, e) -> timer.cancel(false));
        }
        try {
            synchronized (writeLock) {
                UnixSockets.writeFully(channel, FrameCodec.encode(new Frame(stream, Frame.REQUEST, (byte) 0, data)));
            }
        } catch (IOException e) {
            shutdown("write failed: " + e.getMessage());
        }
        if (closed.get()) {
            // The reader may have failed every pending call before this one was registered.
            future.completeExceptionally(unavailable());
        }
        return future;
    }

    public boolean isOpen() {
        return !closed.get();
    }

    /** Completes when the connection is gone: closed by this side, the server, or an I/O error. */
    public CompletableFuture<Void> onClose() {
        return closedFuture;
    }

    /** Frames that arrived for streams with no call waiting (late answers to calls that gave up). */
    public long unknownStreamFrames() {
        return unknownStreamFrames.get();
    }

    @Override
    public void close() {
        shutdown("connection closed by client");
    }

    private void readLoop() {
        FrameCodec codec = new FrameCodec();
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        FrameCodec.Sink sink = new FrameCodec.Sink() {
            @Override
            public void frame(Frame frame) {
                onFrame(frame);
            }

            @Override
            public void oversized(int streamId, byte type, long length) {
                CompletableFuture<byte[]> call = pending.get(streamId);
                if (call != null) {
                    fail(call, new TtrpcException(Code.RESOURCE_EXHAUSTED,
                            "response of " + length + " bytes exceeds the ttrpc limit of " + Frame.MAX_DATA));
                } else {
                    unknownStreamFrames.incrementAndGet();
                }
            }
        };
        String reason = "connection closed by server";
        try {
            while (true) {
                buffer.clear();
                if (channel.read(buffer) < 0) {
                    break;
                }
                buffer.flip();
                codec.decode(buffer, sink);
            }
        } catch (IOException e) {
            reason = closed.get() ? closeReason : "read failed: " + e.getMessage();
        }
        shutdown(reason);
    }

    private void onFrame(Frame frame) {
        if (frame.type() != Frame.RESPONSE) {
            // Unary calls only: stream data has nowhere to go.
            unknownStreamFrames.incrementAndGet();
            return;
        }
        CompletableFuture<byte[]> call = pending.get(frame.streamId());
        if (call == null) {
            unknownStreamFrames.incrementAndGet();
            return;
        }
        Response response;
        try {
            response = Response.parseFrom(frame.data());
        } catch (InvalidProtocolBufferException e) {
            fail(call, new TtrpcException(Code.INTERNAL, "unreadable ttrpc response: " + e.getMessage(), e));
            return;
        }
        if (response.hasStatus() && response.getStatus().getCode() != 0) {
            fail(call, new TtrpcException(Code.of(response.getStatus().getCode()), response.getStatus().getMessage()));
        } else {
            byte[] payload = response.getPayload().toByteArray();
            CALLBACKS.execute(() -> call.complete(payload));
        }
    }

    private static void fail(CompletableFuture<byte[]> call, TtrpcException error) {
        CALLBACKS.execute(() -> call.completeExceptionally(error));
    }

    private void shutdown(String reason) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeReason = reason;
        try {
            channel.close();
        } catch (IOException ignored) {
            // Closing: nothing left to do with it.
        }
        TtrpcException gone = unavailable();
        pending.values().forEach(f -> fail(f, gone));
        closedFuture.complete(null);
    }

    private TtrpcException unavailable() {
        return new TtrpcException(Code.UNAVAILABLE, "ttrpc connection to " + name + ": " + closeReason);
    }
}
