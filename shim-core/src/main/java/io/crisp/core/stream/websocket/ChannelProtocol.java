package io.crisp.core.stream.websocket;

import static java.util.Objects.requireNonNull;

import io.crisp.stream.wire.ChannelCodec;

/**
 * One WebSocket subprotocol of Kubernetes' channel family: messages carry a channel number in
 * their first byte (binary) or first character (base64, the rest base64 text).
 *
 * @param name the {@code Sec-WebSocket-Protocol} token
 * @param version the remote command version it speaks: 5 adds the close signal, 4 the
 *     {@code metav1.Status} JSON on the error channel, 1 to 3 report errors as plain text
 * @param base64 whether messages are text with a {@code '0' + channel} prefix and base64 payload
 */
public record ChannelProtocol(String name, int version, boolean base64) {
    public ChannelProtocol {
        requireNonNull(name, "name is null");
    }

    /** v5 and later: a {@code [255, channel]} message closes the channel (stdin EOF). */
    public boolean hasCloseSignal() {
        return version >= 5;
    }

    /** v4 and later: the error channel carries a {@code metav1.Status} JSON, also on success. */
    public boolean reportsStatusJson() {
        return version >= 4;
    }

    public ChannelCodec codec() {
        return base64 ? ChannelCodec.BASE64 : ChannelCodec.BINARY;
    }
}
