package io.crisp.ttrpc;

import static java.util.Objects.requireNonNull;

/**
 * One ttrpc message frame: a 10-byte header (data length and stream id as big-endian unsigned
 * 32-bit integers, then a message type byte and a flags byte) followed by the data.
 *
 * @param streamId odd for streams the client starts
 * @param type {@link #REQUEST}, {@link #RESPONSE} or {@link #DATA}
 * @param flags per type; {@link #FLAG_REMOTE_CLOSED}, {@link #FLAG_REMOTE_OPEN}
 * @param data the payload, at most {@link #MAX_DATA} bytes (not copied: do not modify it)
 */
public record Frame(int streamId, byte type, byte flags, byte[] data) {
    public static final int HEADER_SIZE = 10;
    /** The protocol's limit on a frame's data: 4 MiB. Larger frames are refused. */
    public static final int MAX_DATA = 4 << 20;

    public static final byte REQUEST = 1;
    public static final byte RESPONSE = 2;
    public static final byte DATA = 3;

    public static final byte FLAG_REMOTE_CLOSED = 1;
    public static final byte FLAG_REMOTE_OPEN = 2;

    public Frame {
        requireNonNull(data, "data is null");
        if (data.length > MAX_DATA) {
            throw new TtrpcException(Code.RESOURCE_EXHAUSTED,
                    "message of " + data.length + " bytes exceeds the ttrpc limit of " + MAX_DATA);
        }
    }

    @Override
    public String toString() {
        return "Frame[stream=" + Integer.toUnsignedString(streamId) + ", type=" + type + ", flags=" + flags
                + ", length=" + data.length + "]";
    }
}
