package io.crisp.plugin.kit.log;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses a CRI log file for tests, failing on any record not in the format; in the kit's test JAR
 * for the plugins' tests too.
 */
public record CriLog(List<Record> records) {
    private static final Pattern LINE =
            Pattern.compile("(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z) (stdout|stderr) ([FP]) (.*)", Pattern.DOTALL);

    public record Record(Instant time, String stream, String tag, String content) {
        @Override
        public String toString() {
            return stream + " " + tag + " " + content;
        }
    }

    public static CriLog read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        assertTrue(text.isEmpty() || text.endsWith("\n"), "every record ends with a newline");
        List<Record> records = new ArrayList<>();
        for (String line : text.isEmpty() ? new String[0] : text.substring(0, text.length() - 1).split("\n", -1)) {
            Matcher m = LINE.matcher(line);
            assertTrue(m.matches(), "not a CRI log record: " + line);
            records.add(new Record(Instant.parse(m.group(1)), m.group(2), m.group(3), m.group(4)));
        }
        return new CriLog(records);
    }

    /** "stream tag content" per record. */
    public List<String> lines() {
        return records.stream().map(Record::toString).toList();
    }

    /** The stream's output put back together from F and P records (what the kubelet shows). */
    public String text(String stream) {
        StringBuilder out = new StringBuilder();
        for (Record r : records) {
            if (r.stream().equals(stream)) {
                out.append(r.content());
                if (r.tag().equals("F")) {
                    out.append('\n');
                }
            }
        }
        return out.toString();
    }
}
