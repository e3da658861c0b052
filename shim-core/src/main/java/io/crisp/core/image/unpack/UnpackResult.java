package io.crisp.core.image.unpack;

/**
 * What one unpacked layer held.
 *
 * @param entries the tar members applied: files, directories, links, device nodes and whiteouts
 *     alike (PAX and GNU long-name records are part of the member they describe, not members)
 * @param bytes the regular-file content written, in bytes, which is the layer's size on disk before
 *     block rounding and without directories
 */
public record UnpackResult(long entries, long bytes) {
}
