package io.crisp.core.image.unpack;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The caller's stream: it remembers whether a failure came from it (the network, the disk), so
 * such failures are told apart from a corrupt layer, and closing it does nothing.
 */
final class SourceStream extends FilterInputStream {
    private IOException failure;

    SourceStream(InputStream in) {
        super(in);
    }

    /** The failure of the caller's stream, if a read from it failed; null otherwise. */
    IOException failure() {
        return failure;
    }

    @Override
    public int read() throws IOException {
        try {
            return in.read();
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return in.read(b, off, len);
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    @Override
    public long skip(long n) throws IOException {
        try {
            return in.skip(n);
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    @Override
    public void close() {
        // The caller owns the stream.
    }
}
