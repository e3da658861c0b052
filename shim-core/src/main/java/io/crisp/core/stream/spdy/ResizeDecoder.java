package io.crisp.core.stream.spdy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes the resize stream: a sequence of JSON objects {@code {"Width":W,"Height":H}} (client-go
 * writes one per terminal size with json.Encoder, so each ends with a newline), split across data
 * frames wherever the transport pleases. Fields other than Width and Height are skipped; a size
 * is reported when its object closes.
 */
final class ResizeDecoder {
    /** One decoded terminal size. */
    record Size(int width, int height) {
    }

    private static final JsonFactory FACTORY = new JsonFactory();

    private final JsonParser parser;
    private final ByteArrayFeeder feeder;
    private int depth;
    private String field;
    private int width;
    private int height;

    ResizeDecoder() {
        try {
            parser = FACTORY.createNonBlockingByteArrayParser();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        feeder = (ByteArrayFeeder) parser.getNonBlockingInputFeeder();
    }

    /**
     * Feeds the next bytes of the stream and returns the sizes whose objects they completed.
     *
     * @throws IOException when the bytes are not a sequence of JSON objects
     */
    List<Size> feed(byte[] data) throws IOException {
        feeder.feedInput(data, 0, data.length);
        List<Size> sizes = new ArrayList<>();
        for (JsonToken token = parser.nextToken(); token != null && token != JsonToken.NOT_AVAILABLE;
                token = parser.nextToken()) {
            switch (token) {
                case START_OBJECT, START_ARRAY -> {
                    if (depth == 0 && token == JsonToken.START_OBJECT) {
                        width = 0;
                        height = 0;
                    } else if (depth == 0) {
                        throw new IOException("a terminal size must be a JSON object");
                    }
                    depth++;
                }
                case END_OBJECT, END_ARRAY -> {
                    depth--;
                    if (depth == 0) {
                        sizes.add(new Size(width, height));
                    }
                }
                case FIELD_NAME -> field = depth == 1 ? parser.currentName() : null;
                case VALUE_NUMBER_INT -> {
                    if (depth == 1 && "Width".equals(field)) {
                        width = parser.getIntValue();
                    } else if (depth == 1 && "Height".equals(field)) {
                        height = parser.getIntValue();
                    }
                }
                default -> {
                    if (depth == 0) {
                        throw new IOException("a terminal size must be a JSON object, not " + token);
                    }
                }
            }
        }
        return sizes;
    }
}
