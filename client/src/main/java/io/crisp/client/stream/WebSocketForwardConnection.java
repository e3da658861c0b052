package io.crisp.client.stream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * The ports of one WebSocket port-forward, client side: port i is data on channel 2i and errors on
 * channel 2i+1, each channel starting with the port as two little-endian bytes, which are stripped
 * here. The protocol has no half-close: closing a port's {@link #output()} sends
 * nothing. The WebSocket closes once every port's connection is closed.
 */
final class WebSocketForwardConnection implements ChannelClient.Receiver {
    private final List<Port> ports;
    private volatile ChannelClient client;
    private int open;
    private boolean ended;

    WebSocketForwardConnection(List<Integer> portNumbers) {
        this.ports = IntStream.range(0, portNumbers.size()).mapToObj(i -> new Port(i, portNumbers.get(i))).toList();
        this.open = portNumbers.size();
    }

    List<? extends ForwardConnection> connections() {
        return ports;
    }

    void connected(ChannelClient client) {
        this.client = client;
    }

    @Override
    public void message(int channel, byte[] data) {
        int index = channel / 2;
        if (index < ports.size()) {
            ports.get(index).received(channel % 2 == 1, data);
        }
    }

    @Override
    public void closed(boolean normal) {
        synchronized (this) {
            ended = true;
            notifyAll();
        }
        for (Port port : ports) {
            port.input.end(null);
        }
    }

    private void portClosed() {
        boolean last;
        synchronized (this) {
            last = --open == 0;
        }
        if (last && client != null) {
            client.close();
        }
    }

    /** One forwarded port of the WebSocket. */
    private final class Port implements ForwardConnection {
        private final int index;
        private final int number;
        private final ChunkInputStream input;
        private final ByteArrayOutputStream error = new ByteArrayOutputStream();
        private int dataHeaderLeft = 2;
        private int errorHeaderLeft = 2;
        private boolean closed;

        Port(int index, int number) {
            this.index = index;
            this.number = number;
            this.input = ChunkInputStream.withWaterMarks(full -> {
                ChannelClient c = client;
                if (c != null) {
                    c.streamFull(full);
                }
            });
        }

        /** Runs on the event loop. */
        void received(boolean errorChannel, byte[] data) {
            int skip;
            if (errorChannel) {
                skip = Math.min(errorHeaderLeft, data.length);
                errorHeaderLeft -= skip;
            } else {
                skip = Math.min(dataHeaderLeft, data.length);
                dataHeaderLeft -= skip;
            }
            byte[] payload = skip == 0 ? data : Arrays.copyOfRange(data, skip, data.length);
            if (errorChannel) {
                synchronized (WebSocketForwardConnection.this) {
                    error.writeBytes(payload);
                    WebSocketForwardConnection.this.notifyAll();
                }
            } else {
                input.offer(payload);
            }
        }

        @Override
        public OutputStream output() {
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    if (len > 0) {
                        client.send(2 * index, b, off, len);
                    }
                }

                @Override
                public void close() {
                    // No half-close exists in the channel protocol: nothing to send.
                }
            };
        }

        @Override
        public InputStream input() {
            return input;
        }

        @Override
        public Optional<String> error() {
            synchronized (WebSocketForwardConnection.this) {
                String text = error.toString(StandardCharsets.UTF_8);
                return text.isEmpty() ? Optional.empty() : Optional.of(text);
            }
        }

        @Override
        public Optional<String> awaitError(Duration timeout) throws IOException {
            Instant deadline = Instant.now().plus(timeout);
            synchronized (WebSocketForwardConnection.this) {
                while (error.size() == 0 && !ended) {
                    long left = Duration.between(Instant.now(), deadline).toMillis();
                    if (left <= 0) {
                        break;
                    }
                    try {
                        WebSocketForwardConnection.this.wait(left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while waiting for an error");
                    }
                }
            }
            return error();
        }

        @Override
        public void close() {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            portClosed();
        }

        @Override
        public String toString() {
            return "port " + number;
        }
    }
}
