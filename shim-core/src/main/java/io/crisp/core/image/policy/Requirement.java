package io.crisp.core.image.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One policy requirement of containers-policy.json(5), as read from the file. Parsing is strict,
 * as the format asks: an unknown field or type, a missing or doubled key source refuses the whole
 * file. Keys are read when a requirement is evaluated, so a broken key file refuses only the pulls
 * whose scope uses it.
 */
sealed interface Requirement {
    /** How the requirement is named in messages: its type and, for keys, where they come from. */
    String describe();

    /** {@code insecureAcceptAnything}: any image, signed or not. */
    record AcceptAnything() implements Requirement {
        @Override
        public String describe() {
            return "insecureAcceptAnything";
        }
    }

    /** {@code reject}: no image. */
    record Reject() implements Requirement {
        @Override
        public String describe() {
            return "reject";
        }
    }

    /** {@code signedBy} with {@code keyType: GPGKeys}: a simple-signing signature from a lookaside location. */
    record SignedBy(KeySource keys, SignedIdentity identity) implements Requirement {
        @Override
        public String describe() {
            return "signedBy (GPGKeys, " + keys.describe() + ")";
        }
    }

    /** {@code sigstoreSigned} with a public key: a signature stored as an OCI attachment. */
    record SigstoreSigned(KeySource keys, SignedIdentity identity) implements Requirement {
        @Override
        public String describe() {
            return "sigstoreSigned (" + keys.describe() + ")";
        }
    }

    /** Key files, or keys given inline as base64 ({@code keyData}). */
    record KeySource(List<String> paths, List<byte[]> data) {
        String describe() {
            return paths.isEmpty() ? "keyData" : (paths.size() == 1 ? "keyPath " : "keyPaths ") + String.join(", ", paths);
        }
    }

    /** Reads one requirement; {@code where} names it in messages ("default[0]", "transports.docker[\"quay.io\"][1]"). */
    static Requirement parse(JsonNode node, String where) {
        if (!node.isObject()) {
            throw PolicyException.invalid(where + " is not an object");
        }
        String type = node.path("type").asText("");
        return switch (type) {
            case "insecureAcceptAnything" -> {
                onlyFields(node, where, Set.of("type"));
                yield new AcceptAnything();
            }
            case "reject" -> {
                onlyFields(node, where, Set.of("type"));
                yield new Reject();
            }
            case "signedBy" -> {
                onlyFields(node, where, Set.of("type", "keyType", "keyPath", "keyPaths", "keyData", "signedIdentity"));
                String keyType = node.path("keyType").asText("");
                if (!keyType.equals("GPGKeys")) {
                    throw PolicyException.invalid(where + ".keyType: \"" + keyType + "\" is not supported (crisp verifies GPGKeys only, as "
                            + "containers/image does)");
                }
                yield new SignedBy(keys(node, where, "keyPath", "keyPaths", "keyData", null), SignedIdentity.parse(node.get("signedIdentity"),
                        where + ".signedIdentity"));
            }
            case "sigstoreSigned" -> {
                for (String unsupported : List.of("fulcio", "rekorPublicKeyPath", "rekorPublicKeyPaths", "rekorPublicKeyData", "rekorPublicKeyDatas",
                        "pki")) {
                    if (node.has(unsupported)) {
                        throw PolicyException.invalid(where + "." + unsupported + " is not supported by crisp: sigstoreSigned verifies "
                                + "signatures of a public key (keyPath, keyPaths, keyData, keyDatas) only");
                    }
                }
                onlyFields(node, where, Set.of("type", "keyPath", "keyPaths", "keyData", "keyDatas", "signedIdentity"));
                yield new SigstoreSigned(keys(node, where, "keyPath", "keyPaths", "keyData", "keyDatas"), SignedIdentity.parse(node.get("signedIdentity"),
                        where + ".signedIdentity"));
            }
            case "" -> throw PolicyException.invalid(where + " has no \"type\"");
            default -> throw PolicyException.invalid(where + ".type: unknown requirement \"" + type + "\" (crisp knows insecureAcceptAnything, "
                    + "reject, signedBy, sigstoreSigned)");
        };
    }

    /** Exactly one of the key fields must be there. */
    private static KeySource keys(JsonNode node, String where, String path, String paths, String data, String datas) {
        List<String> present = new ArrayList<>();
        for (String field : new String[] {path, paths, data, datas}) {
            if (field != null && node.has(field)) {
                present.add(field);
            }
        }
        if (present.size() != 1) {
            throw PolicyException.invalid(where + " needs exactly one of " + path + ", " + paths + ", " + data + (datas == null ? "" : ", " + datas)
                    + (present.isEmpty() ? "" : "; it has " + String.join(", ", present)));
        }
        String field = present.get(0);
        List<String> texts = new ArrayList<>();
        JsonNode value = node.get(field);
        if (value.isArray()) {
            value.forEach(v -> texts.add(text(v, where + "." + field)));
            if (texts.isEmpty()) {
                throw PolicyException.invalid(where + "." + field + " is empty");
            }
        } else {
            texts.add(text(value, where + "." + field));
        }
        if (field.equals(path) || field.equals(paths)) {
            for (String p : texts) {
                if (!p.startsWith("/")) {
                    throw PolicyException.invalid(where + "." + field + ": \"" + p + "\" is not an absolute path");
                }
            }
            return new KeySource(List.copyOf(texts), List.of());
        }
        List<byte[]> decoded = new ArrayList<>();
        for (String t : texts) {
            try {
                decoded.add(java.util.Base64.getDecoder().decode(t.strip()));
            } catch (IllegalArgumentException e) {
                throw PolicyException.invalid(where + "." + field + " is not base64: " + e.getMessage());
            }
        }
        return new KeySource(List.of(), decoded);
    }

    private static String text(JsonNode v, String where) {
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw PolicyException.invalid(where + " must be a non-empty string");
        }
        return v.asText();
    }

    static void onlyFields(JsonNode node, String where, Set<String> allowed) {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw PolicyException.invalid(where + ": unknown field \"" + name + "\"");
            }
        }
    }

    static Optional<String> optionalText(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        return v == null ? Optional.empty() : Optional.of(text(v, where + "." + field));
    }
}
