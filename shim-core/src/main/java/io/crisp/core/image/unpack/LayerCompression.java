package io.crisp.core.image.unpack;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * How a layer or an image archive is compressed, told by its magic bytes rather than its media
 * type: media types lie often enough (Docker's "gzip" layers that are plain tar).
 */
public enum LayerCompression {
    GZIP("gzip-compressed"), ZSTD("zstd-compressed"), NONE("uncompressed");

    private final String label;

    LayerCompression(String label) {
        this.label = label;
    }

    /** For messages: "gzip-compressed layer is truncated...". */
    public String label() {
        return label;
    }

    /** Looks at the first bytes without consuming them. */
    public static LayerCompression detect(BufferedInputStream in) throws IOException {
        in.mark(4);
        byte[] magic = in.readNBytes(4);
        in.reset();
        if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            return GZIP;
        }
        if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
                && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
            return ZSTD;
        }
        return NONE;
    }

    /** The stream's content, decompressed as it is detected to be. */
    public static InputStream decompressed(BufferedInputStream in) throws IOException {
        return detect(in).open(in);
    }

    InputStream open(InputStream in) throws IOException {
        return switch (this) {
            // Concatenated members: pigz and some registries' re-compressions write several.
            case GZIP -> GzipCompressorInputStream.builder().setInputStream(in).setDecompressConcatenated(true).get();
            case ZSTD -> new ZstdInputStreamNoFinalizer(in);
            case NONE -> in;
        };
    }
}
