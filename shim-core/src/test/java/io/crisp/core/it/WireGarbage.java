package io.crisp.core.it;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.RandomGenerator;

/**
 * Random and boundary requests for any protobuf message type, built from its descriptor with jqwik's
 * generators and one seeded {@link Random}, so a seed replays the same requests: strings empty, huge,
 * unicode, with NUL, path traversal and flag-like; numbers negative, zero and at their limits; enums
 * known and unknown; repeated fields and maps empty, small or oversized; nested messages set or left
 * out down to a depth limit. Only what a caller can put on the wire: every value is valid protobuf.
 */
final class WireGarbage {
    private static final int GEN_SIZE = 1000;
    private static final int MAX_DEPTH = 8;

    private final Random random;
    private final RandomGenerator<String> strings;
    private final RandomGenerator<Long> longs;
    private final RandomGenerator<Integer> ints;
    private final RandomGenerator<byte[]> bytes;
    private final RandomGenerator<Double> doubles;

    /** {@code known} are strings that reach further than random text: ids of real objects, image names. */
    WireGarbage(Random random, List<String> known) {
        this.random = random;
        Arbitrary<String> boundary = Arbitraries.of("", " ", ".", "..", "/", "//", "../../../../../etc/passwd", "/etc/shadow", "/proc/self/mem",
                "a/../../b", "\u0000", "a\u0000b", "\n", "\r\n\t", "-", "--help", "%s%n%x", "${jndi:ldap://127.0.0.1/x}", "*", "?", "\\",
                "💥🔥", "Ω≈ç√", "\u202e", "\uFEFF", "\uFFFD", "-1", "0", "9223372036854775808", "NaN", "sha256:", "sha256:zz",
                "sha256:" + "0".repeat(64), "@sha256:" + "a".repeat(64), "busybox", "busybox:latest", "localhost/x:1", "a:b@c",
                "UPPER/Case:TAG", "k8s.io/x=y", "app.kubernetes.io/name", "/dev/null", "/dev/zero", "unix:///tmp/x.sock",
                "1.2.3.4/33", "::1", "0.0.0.0/0", "10.0.0.0/8", "1g", "-5m", "100Mi", "CAP_SYS_ADMIN", "ALL", "runtime/default",
                "localhost/../../x", "unconfined", "memory.max", "root", "65536:65536");
        Arbitrary<String> text = Arbitraries.strings().all().ofMaxLength(80);
        Arbitrary<String> ascii = Arbitraries.strings().ascii().ofMaxLength(300);
        Arbitrary<String> huge = Arbitraries.integers().between(4_096, 1 << 20).map(n -> "x".repeat(n));
        Arbitrary<String> hugeUnicode = Arbitraries.integers().between(1_000, 50_000).map(n -> "ü💥\u0000".repeat(n));
        Arbitrary<String> pathy = Arbitraries.of("/", "../", "./", "a/", "%2e%2e/", "\u0000/").list().ofMaxSize(20)
                .map(parts -> String.join("", parts) + "etc/passwd");
        Arbitrary<String> ids = known.isEmpty() ? Arbitraries.just("") : Arbitraries.of(known);
        Arbitrary<String> prefixes = ids.map(id -> id.substring(0, Math.min(id.length(), 1 + (id.length() / 3))));
        this.strings = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, boundary), net.jqwik.api.Tuple.of(4, text), net.jqwik.api.Tuple.of(3, ascii),
                net.jqwik.api.Tuple.of(1, huge), net.jqwik.api.Tuple.of(1, hugeUnicode), net.jqwik.api.Tuple.of(2, pathy),
                net.jqwik.api.Tuple.of(3, ids), net.jqwik.api.Tuple.of(1, prefixes)).generatorWithEmbeddedEdgeCases(GEN_SIZE);
        this.longs = Arbitraries.oneOf(Arbitraries.of(0L, -1L, 1L, Long.MIN_VALUE, Long.MAX_VALUE, (long) Integer.MAX_VALUE,
                (long) Integer.MIN_VALUE, 1L << 32, -(1L << 53), 4096L, 65535L, 65536L), Arbitraries.longs()).generatorWithEmbeddedEdgeCases(GEN_SIZE);
        this.ints = Arbitraries.oneOf(Arbitraries.of(0, -1, 1, Integer.MIN_VALUE, Integer.MAX_VALUE, 65535, 65536, 1 << 30),
                Arbitraries.integers()).generatorWithEmbeddedEdgeCases(GEN_SIZE);
        this.bytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(4096).generatorWithEmbeddedEdgeCases(GEN_SIZE);
        this.doubles = Arbitraries.oneOf(Arbitraries.of(0.0, -0.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                Double.MAX_VALUE, Double.MIN_VALUE), Arbitraries.doubles()).generatorWithEmbeddedEdgeCases(GEN_SIZE);
    }

    DynamicMessage message(Descriptor type) {
        return message(type, 0);
    }

    private DynamicMessage message(Descriptor type, int depth) {
        DynamicMessage.Builder builder = DynamicMessage.newBuilder(type);
        if (depth > MAX_DEPTH) {
            return builder.build();
        }
        double fill = depth == 0 ? 0.85 : 0.6;
        for (FieldDescriptor field : type.getFields()) {
            if (field.getRealContainingOneof() != null && random.nextBoolean()) {
                continue;
            }
            if (random.nextDouble() > fill) {
                continue;
            }
            if (field.isRepeated()) {
                int n = count();
                for (int i = 0; i < n; i++) {
                    builder.addRepeatedField(field, value(field, depth));
                }
            } else {
                builder.setField(field, value(field, depth));
            }
        }
        return builder.build();
    }

    /**
     * {@code base}, a valid request, with some of its fields replaced by garbage and a few unset ones set:
     * reaches the checks behind the first required field, which a wholly random request rarely passes.
     */
    DynamicMessage mutate(DynamicMessage base) {
        return mutate(base, 0);
    }

    private DynamicMessage mutate(DynamicMessage base, int depth) {
        DynamicMessage.Builder builder = base.toBuilder();
        for (FieldDescriptor field : base.getDescriptorForType().getFields()) {
            boolean set = field.isRepeated() ? base.getRepeatedFieldCount(field) > 0 : base.hasField(field);
            if (set && field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !field.isRepeated() && random.nextInt(3) > 0) {
                builder.setField(field, mutate((DynamicMessage) base.getField(field), depth + 1));
            } else if (random.nextInt(set ? 6 : 12) == 0) {
                builder.clearField(field);
                if (field.isRepeated()) {
                    int n = count();
                    for (int i = 0; i < n; i++) {
                        builder.addRepeatedField(field, value(field, depth));
                    }
                } else if (random.nextInt(8) > 0) {
                    builder.setField(field, value(field, depth));
                }
            }
        }
        return builder.build();
    }

    /** How many elements a repeated field or map gets: mostly few, now and then thousands. */
    private int count() {
        int roll = random.nextInt(100);
        if (roll < 40) {
            return 0;
        }
        if (roll < 90) {
            return 1 + random.nextInt(4);
        }
        if (roll < 98) {
            return 10 + random.nextInt(100);
        }
        return 1_000 + random.nextInt(4_000);
    }

    private Object value(FieldDescriptor field, int depth) {
        return switch (field.getJavaType()) {
            case STRING -> {
                String s = strings.next(random).value();
                // A repeated field of a thousand megabyte strings would only test the message size limit.
                yield field.isRepeated() && s.length() > 4096 ? s.substring(0, 4096) : s;
            }
            case LONG -> longs.next(random).value();
            case INT -> ints.next(random).value();
            case BOOLEAN -> random.nextBoolean();
            case DOUBLE -> doubles.next(random).value();
            case FLOAT -> doubles.next(random).value().floatValue();
            case BYTE_STRING -> ByteString.copyFrom(bytes.next(random).value());
            case ENUM -> enumValue(field.getEnumType());
            case MESSAGE -> message(field.getMessageType(), depth + 1);
        };
    }

    private Object enumValue(EnumDescriptor type) {
        if (random.nextInt(5) == 0) {
            int unknown = ints.next(random).value();
            return type.findValueByNumberCreatingIfUnknown(unknown);
        }
        return type.getValues().get(random.nextInt(type.getValues().size()));
    }
}
