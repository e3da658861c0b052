package io.crisp.core.image.unpack;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Sits between the decompressor and commons-compress's tar reader and keeps the raw bytes of PAX
 * {@code SCHILY.xattr.*} values.
 *
 * <p>Why: commons-compress decodes every PAX value as UTF-8 into a String, and an xattr value is
 * binary. {@code security.capability} of a binary with {@code cap_setuid} or {@code cap_sys_nice}
 * holds bytes such as {@code 0x80} that are not UTF-8, so the decoded String has lost them and
 * writing it back would give the file a wrong capability set. The tap records the bytes the tar
 * reader consumes while it reads one entry's headers, then walks those 512-byte header blocks itself
 * to find the {@code x} (and global {@code g}) records.
 *
 * <p>It only ever adds information: the caller uses a raw value only when its UTF-8 decoding equals
 * the value commons-compress parsed for the same entry, so a tap that lost step with the tar reader
 * (an unusual sparse layout, a bad checksum, a header larger than {@link #RECORD_LIMIT}) costs the
 * raw values and nothing else.
 */
final class TarHeaderTap extends FilterInputStream {
    private static final int BLOCK = 512;
    /** Headers beyond this size are not recorded; commons-compress holds them in memory anyway. */
    private static final int RECORD_LIMIT = 1 << 20;
    private static final String XATTR_PREFIX = "SCHILY.xattr.";

    private long position;
    private boolean recording;
    private long recordingStart;
    private byte[] recorded = new byte[4 * BLOCK];
    private int recordedLength;
    private boolean overflowed;
    /** Raw xattr records of global ({@code g}) headers seen so far: they apply to every later entry. */
    private final Map<String, byte[]> globalXattrs = new HashMap<>();
    private boolean globalsKnown = true;

    TarHeaderTap(InputStream in) {
        super(in);
    }

    /** Call before {@code getNextEntry}; the entry's data must have been read to its end. */
    void startHeaders() {
        recording = true;
        recordingStart = position;
        recordedLength = 0;
        overflowed = false;
    }

    /**
     * Call after {@code getNextEntry} returned an entry.
     *
     * @return the raw value of every {@code SCHILY.xattr.NAME} PAX record that applies to the entry,
     *     keyed by the full PAX key; null when the recorded headers could not be walked
     */
    Map<String, byte[]> finishHeaders() {
        recording = false;
        if (overflowed) {
            return null;
        }
        Map<String, byte[]> local = new HashMap<>();
        int offset = (int) (alignUp(recordingStart) - recordingStart);
        while (offset + BLOCK <= recordedLength) {
            if (!checksumOk(offset)) {
                return null;
            }
            byte type = recorded[offset + 156];
            if (type != 'x' && type != 'X' && type != 'g' && type != 'L' && type != 'K') {
                // The member's own header: its data was not part of the headers.
                if (!globalsKnown) {
                    return null;
                }
                Map<String, byte[]> merged = new HashMap<>(globalXattrs);
                merged.putAll(local);
                return merged;
            }
            long size = octal(offset + 124, 12);
            if (size < 0 || offset + BLOCK + size > recordedLength) {
                if (type == 'g') {
                    globalsKnown = false;
                }
                return null;
            }
            int dataStart = offset + BLOCK;
            if (type == 'g') {
                if (!records(dataStart, (int) size, globalXattrs)) {
                    globalsKnown = false;
                    return null;
                }
            } else if (type != 'L' && type != 'K' && !records(dataStart, (int) size, local)) {
                return null;
            }
            offset = dataStart + (int) alignUp(size);
        }
        return null;
    }

    /**
     * True when the tar reader stopped (returned no entry) on a partial header block: commons-compress
     * takes a short last block for the end of the archive, but a tar cut in the middle of a header is a
     * truncated layer. A stream that simply ends on a block boundary without the two zero blocks is
     * accepted, as GNU tar accepts it.
     */
    boolean endedInsideHeader() {
        recording = false;
        if (overflowed) {
            return false;
        }
        int offset = (int) (alignUp(recordingStart) - recordingStart);
        int rest = recordedLength - offset;
        return rest > 0 && rest < BLOCK;
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
            position++;
            if (recording) {
                append(new byte[] {(byte) b}, 0, 1);
            }
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            position += n;
            if (recording) {
                append(b, off, n);
            }
        }
        return n;
    }

    /** Skipped bytes are read, so that positions stay exact and skipped headers are recorded. */
    @Override
    public long skip(long n) throws IOException {
        byte[] scratch = new byte[(int) Math.min(n, 8192)];
        long skipped = 0;
        while (skipped < n) {
            int r = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    private void append(byte[] b, int off, int len) {
        if (overflowed) {
            return;
        }
        if (recordedLength + len > RECORD_LIMIT) {
            overflowed = true;
            recorded = new byte[4 * BLOCK];
            recordedLength = 0;
            return;
        }
        if (recordedLength + len > recorded.length) {
            recorded = Arrays.copyOf(recorded, Math.max(recorded.length * 2, recordedLength + len));
        }
        System.arraycopy(b, off, recorded, recordedLength, len);
        recordedLength += len;
    }

    /**
     * Reads PAX records {@code "LEN KEY=VALUE\n"} and keeps the xattr ones; an empty value removes the
     * key, as PAX says and commons-compress does.
     */
    private boolean records(int start, int size, Map<String, byte[]> into) {
        int pos = start;
        int end = start + size;
        while (pos < end) {
            if (recorded[pos] == 0) {
                return true;
            }
            int space = pos;
            long length = 0;
            while (space < end && recorded[space] >= '0' && recorded[space] <= '9') {
                length = length * 10 + (recorded[space] - '0');
                if (length > size) {
                    return false;
                }
                space++;
            }
            if (space == pos || space >= end || recorded[space] != ' ' || pos + length > end || length < 4) {
                return false;
            }
            int recordEnd = (int) (pos + length);
            if (recorded[recordEnd - 1] != '\n') {
                return false;
            }
            int equals = space + 1;
            while (equals < recordEnd && recorded[equals] != '=') {
                equals++;
            }
            if (equals >= recordEnd) {
                return false;
            }
            String key = new String(recorded, space + 1, equals - space - 1, StandardCharsets.UTF_8);
            if (key.startsWith(XATTR_PREFIX)) {
                byte[] value = Arrays.copyOfRange(recorded, equals + 1, recordEnd - 1);
                if (value.length == 0) {
                    into.remove(key);
                } else {
                    into.put(key, value);
                }
            }
            pos = recordEnd;
        }
        return true;
    }

    /** The header checksum: the unsigned (or, for old writers, signed) byte sum, with the field as spaces. */
    private boolean checksumOk(int offset) {
        long stored = octal(offset + 148, 8);
        if (stored < 0) {
            return false;
        }
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            byte b = (i >= 148 && i < 156) ? (byte) ' ' : recorded[offset + i];
            unsigned += b & 0xff;
            signed += b;
        }
        return stored == unsigned || stored == signed;
    }

    /** An octal header field (leading spaces, digits, then NUL or space); -1 when it is not one. */
    private long octal(int offset, int length) {
        int i = offset;
        int end = offset + length;
        while (i < end && recorded[i] == ' ') {
            i++;
        }
        long value = 0;
        int digits = 0;
        while (i < end && recorded[i] >= '0' && recorded[i] <= '7') {
            value = value * 8 + (recorded[i] - '0');
            digits++;
            i++;
        }
        if (digits == 0 || (i < end && recorded[i] != 0 && recorded[i] != ' ')) {
            return -1;
        }
        return value;
    }

    private static long alignUp(long n) {
        return (n + BLOCK - 1) / BLOCK * BLOCK;
    }
}
