package io.crisp.core.image.policy;

import io.crisp.core.image.ref.ImageReference;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads simple-signing signatures from a lookaside location: {@code signature-1},
 * {@code signature-2}, ... under {@code <base>/<repository>@sha256=<hex>/}, until the first one
 * missing (a file that does not exist, HTTP 404), as containers-registries.d(5) lays them out.
 */
final class Lookaside {
    /** A signature is a few hundred bytes; anything this large is not one. */
    private static final int MAX_SIGNATURE_BYTES = 4 << 20;
    /** Signatures read per image at most, so a misbehaving server cannot keep a pull busy. */
    private static final int MAX_SIGNATURES = 64;

    private Lookaside() {}

    /** The signatures of {@code image}'s manifest {@code digest} found under {@code base}; none is an empty list. */
    static List<byte[]> read(URI base, ImageReference image, String digest, Duration timeout) throws IOException {
        List<byte[]> found = new ArrayList<>();
        for (int index = 1; index <= MAX_SIGNATURES; index++) {
            URI url = RegistriesD.signatureUrl(base, image, digest, index);
            byte[] signature = url.getScheme().equals("file") ? file(url) : http(url, timeout);
            if (signature == null) {
                break;
            }
            found.add(signature);
        }
        return found;
    }

    private static byte[] file(URI url) throws IOException {
        Path path = Path.of(url.getPath());
        try (InputStream in = Files.newInputStream(path)) {
            return bounded(in, url);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static byte[] http(URI url, Duration timeout) throws IOException {
        HttpURLConnection c = (HttpURLConnection) url.toURL().openConnection();
        try {
            c.setConnectTimeout((int) timeout.toMillis());
            c.setReadTimeout((int) timeout.toMillis());
            c.setRequestProperty("User-Agent", "crisp");
            int code = c.getResponseCode();
            if (code == 404) {
                return null;
            }
            if (code != 200) {
                throw new IOException(url + " answered HTTP " + code);
            }
            try (InputStream in = c.getInputStream()) {
                return bounded(in, url);
            }
        } finally {
            c.disconnect();
        }
    }

    private static byte[] bounded(InputStream in, URI url) throws IOException {
        byte[] bytes = in.readNBytes(MAX_SIGNATURE_BYTES + 1);
        if (bytes.length > MAX_SIGNATURE_BYTES) {
            throw new IOException(url + " is larger than " + MAX_SIGNATURE_BYTES + " bytes: not a signature");
        }
        return bytes;
    }
}
