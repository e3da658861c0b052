package io.crisp.core.image.registry;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed {@code WWW-Authenticate} header (RFC 7235): the scheme ({@code basic} or {@code bearer})
 * and its parameters ({@code realm}, {@code service}, {@code scope}), as the distribution spec's
 * token authentication uses them.
 */
record AuthChallenge(String scheme, Map<String, String> params) {
    private static final Pattern PARAM = Pattern.compile("([A-Za-z_]+)\\s*=\\s*(?:\"((?:[^\"\\\\]|\\\\.)*)\"|([^,\\s]*))");

    static Optional<AuthChallenge> parse(String header) {
        if (header == null || header.isBlank()) {
            return Optional.empty();
        }
        String trimmed = header.trim();
        int space = trimmed.indexOf(' ');
        String scheme = (space < 0 ? trimmed : trimmed.substring(0, space)).toLowerCase(Locale.ROOT);
        Map<String, String> params = new LinkedHashMap<>();
        if (space > 0) {
            Matcher m = PARAM.matcher(trimmed.substring(space + 1));
            while (m.find()) {
                params.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2) != null ? m.group(2).replace("\\\"", "\"") : m.group(3));
            }
        }
        return Optional.of(new AuthChallenge(scheme, Map.copyOf(params)));
    }

    String param(String name) {
        return params.getOrDefault(name, "");
    }
}
