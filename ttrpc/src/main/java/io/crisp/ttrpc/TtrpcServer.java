package io.crisp.ttrpc;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.crisp.ttrpc.proto.Request;
import io.crisp.ttrpc.proto.Response;
import io.crisp.ttrpc.proto.Status;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A small ttrpc server for unary methods on a Unix socket (mode 0600): one thread accepts, one
 * thread per connection reads requests and answers each in turn. Meant for light traffic such as a
 * shim's event stream; a handler that blocks delays its connection's later requests.
 *
 * <p>A request for an unknown service or method is answered UNIMPLEMENTED, an oversized request
 * RESOURCE_EXHAUSTED, a handler's {@link TtrpcException} with its code, anything else a handler
 * throws INTERNAL.
 */
public final class TtrpcServer implements AutoCloseable {
    /** Serves one method: gets the request payload, returns the response payload. */
    @FunctionalInterface
    public interface Handler {
        byte[] handle(byte[] request) throws Exception;
    }

    private final Path socket;
    /** The socket file's identity, so that close never removes a later server's socket at the same path. */
    private final Object socketFileKey;
    private final ServerSocketChannel server;
    private final Map<String, Handler> handlers;
    private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private TtrpcServer(Path socket, Object socketFileKey, ServerSocketChannel server, Map<String, Handler> handlers) {
        this.socket = socket;
        this.socketFileKey = socketFileKey;
        this.server = server;
        this.handlers = handlers;
        Thread acceptor = new Thread(this::acceptLoop, "ttrpc-accept " + socket.getFileName());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * Listens on {@code socket}, replacing a stale socket file left by an earlier run.
     *
     * @param handlers keyed by {@code service + "/" + method}, e.g.
     *     {@code "containerd.services.events.ttrpc.v1.Events/Forward"}
     */
    public static TtrpcServer start(Path socket, Map<String, Handler> handlers) throws IOException {
        requireNonNull(socket, "socket is null");
        Map<String, Handler> copy = Map.copyOf(requireNonNull(handlers, "handlers is null"));
        Files.createDirectories(socket.toAbsolutePath().getParent());
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        Object fileKey;
        try {
            server.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            fileKey = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return new TtrpcServer(socket, fileKey, server, copy);
    }

    public Path socket() {
        return socket;
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // Closing.
        }
        for (SocketChannel c : connections) {
            try {
                c.close();
            } catch (IOException ignored) {
                // Closing.
            }
        }
        try {
            // Only our own file: a newer server may have replaced it at the same path meanwhile.
            if (socketFileKey != null && socketFileKey.equals(
                    Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey())) {
                Files.deleteIfExists(socket);
            }
        } catch (IOException ignored) {
            // Gone already, or not ours to remove.
        }
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel connection;
            try {
                connection = server.accept();
            } catch (IOException e) {
                return;
            }
            connections.add(connection);
            Thread t = new Thread(() -> serve(connection), "ttrpc-serve " + socket.getFileName());
            t.setDaemon(true);
            t.start();
        }
    }

    private void serve(SocketChannel connection) {
        FrameCodec codec = new FrameCodec();
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        FrameCodec.Sink sink = new FrameCodec.Sink() {
            @Override
            public void frame(Frame frame) {
                if (frame.type() == Frame.REQUEST) {
                    answer(connection, frame.streamId(), dispatch(frame.data()));
                }
            }

            @Override
            public void oversized(int streamId, byte type, long length) {
                if (type == Frame.REQUEST) {
                    answer(connection, streamId, error(Code.RESOURCE_EXHAUSTED,
                            "request of " + length + " bytes exceeds the ttrpc limit of " + Frame.MAX_DATA));
                }
            }
        };
        try (connection) {
            while (connection.read(buffer.clear()) >= 0) {
                codec.decode(buffer.flip(), sink);
            }
        } catch (IOException e) {
            // The peer went away.
        } finally {
            connections.remove(connection);
        }
    }

    private Response dispatch(byte[] data) {
        Request request;
        try {
            request = Request.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
            return error(Code.INVALID_ARGUMENT, "unreadable ttrpc request: " + e.getMessage());
        }
        String key = request.getService() + "/" + request.getMethod();
        Handler handler = handlers.get(key);
        if (handler == null) {
            return error(Code.UNIMPLEMENTED, key + " is not implemented");
        }
        try {
            return Response.newBuilder().setPayload(ByteString.copyFrom(handler.handle(request.getPayload().toByteArray())))
                    .build();
        } catch (TtrpcException e) {
            return error(e.code(), e.detail());
        } catch (Exception e) {
            return error(Code.INTERNAL, key + ": " + e);
        }
    }

    private static Response error(Code code, String message) {
        return Response.newBuilder().setStatus(Status.newBuilder().setCode(code.number()).setMessage(message)).build();
    }

    private static void answer(SocketChannel connection, int streamId, Response response) {
        try {
            UnixSockets.writeFully(connection, FrameCodec.encode(new Frame(streamId, Frame.RESPONSE, (byte) 0,
                    response.toByteArray())));
        } catch (IOException e) {
            try {
                connection.close();
            } catch (IOException ignored) {
                // Already failing.
            }
        }
    }
}
