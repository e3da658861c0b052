package io.crisp.core.server;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.Supplier;

/**
 * The last unfiltered List answer, the store version it was built from, and its wire bytes. The
 * kubelet lists all pods and all containers every second while they rarely change, so most calls
 * send the same bytes again instead of building and encoding a message per object (with 500
 * containers, encoding every id and name anew was most of the garbage and time of a call).
 *
 * <p>{@link #sendCachedBytes} puts a response marshaller in front of the method that recognises
 * the cached message and streams its bytes; any other message is encoded as usual.
 */
final class ListCache<T extends com.google.protobuf.Message> {
    private record Entry<T>(long version, Object with, T response, byte[] bytes) {}

    private volatile Entry<T> entry;

    /** {@code version} must be read before the store is read by {@code build}. */
    T get(long version, Supplier<T> build) {
        return get(version, null, build);
    }

    /**
     * As {@link #get(long, Supplier)}, for an answer that also depends on {@code with} (e.g. the
     * settings in force): the cached answer holds while both the version and the very same
     * {@code with} instance do.
     */
    T get(long version, Object with, Supplier<T> build) {
        Entry<T> e = entry;
        if (e != null && e.version() == version && e.with() == with) {
            return e.response();
        }
        T response = build.get();
        entry = new Entry<>(version, with, response, response.toByteArray());
        return response;
    }

    /** The method definition with a response marshaller that sends the cached message's bytes. */
    <Q> ServerMethodDefinition<Q, T> sendCachedBytes(ServerMethodDefinition<Q, T> method) {
        MethodDescriptor.Marshaller<T> encoder = method.getMethodDescriptor().getResponseMarshaller();
        MethodDescriptor.Marshaller<T> cached = new MethodDescriptor.Marshaller<>() {
            @Override
            public InputStream stream(T value) {
                Entry<T> e = entry;
                return e != null && e.response() == value ? new CachedBytes(e.bytes()) : encoder.stream(value);
            }

            @Override
            public T parse(InputStream stream) {
                return encoder.parse(stream);
            }
        };
        return ServerMethodDefinition.create(method.getMethodDescriptor().toBuilder().setResponseMarshaller(cached).build(),
                        method.getServerCallHandler());
    }

    /** Bytes gRPC can size up front and drain in one write. */
    private static final class CachedBytes extends ByteArrayInputStream implements KnownLength, Drainable {
        CachedBytes(byte[] bytes) {
            super(bytes);
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int n = count - pos;
            target.write(buf, pos, n);
            pos = count;
            return n;
        }
    }
}
