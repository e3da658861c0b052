package io.crisp.core.convert;

import io.crisp.spi.BackendException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks a CRI {@code label_selector}: keys and values must be Kubernetes label keys and values,
 * as the kubelet only ever sends those; anything else is a caller's mistake worth naming.
 */
final class LabelSelectors {
    private static final Pattern NAME = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)");
    private static final Pattern PREFIX = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    private LabelSelectors() {}

    static Map<String, String> check(Map<String, String> selector, String field) {
        for (Map.Entry<String, String> e : selector.entrySet()) {
            String key = e.getKey();
            int slash = key.indexOf('/');
            String name = slash < 0 ? key : key.substring(slash + 1);
            boolean prefixOk = slash < 0 || (slash <= 253 && PREFIX.matcher(key.substring(0, slash)).matches());
            if (!prefixOk || !NAME.matcher(name).matches()) {
                throw BackendException.invalidArgument("%s: \"%s\" is not a valid label key", field, key);
            }
            if (!e.getValue().isEmpty() && !NAME.matcher(e.getValue()).matches()) {
                throw BackendException.invalidArgument("%s[%s]: \"%s\" is not a valid label value", field, key, e.getValue());
            }
        }
        return selector;
    }
}
